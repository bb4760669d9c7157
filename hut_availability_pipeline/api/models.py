"""Response models of the HTTP API (what /openapi.json publishes). Enums are hut-services'."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from ..domain.bookings import DayState, HutTypeEnum, OccupancyStatusEnum, ReservationStatusEnum

DAY_STATE_DESCRIPTION = (
    "What the night is: `bookable` (free places bookable online), `full` (0 free), `not_bookable_online`"
    " (serviced, but no places offered online: sold out online, or not yet released; free and total not"
    ' published; on sites without totals, TMB and FFCAM, a 0: "no place online", free 0, total null),'
    " `winter_room` (not serviced: the winter room), `closed`, `unknown`. Only `bookable`"
    " nights can be booked online."
)


class Hut(BaseModel):
    """A hut: its slug is its id in URLs."""

    id: int
    slug: str
    name: str
    country: str | None = None
    elevation: int | None = Field(None, description="Metres above sea level.")
    capacity: int | None = Field(None, description="Places as published by the hut (not per date).")
    source: str | None = Field(None, description="Booking source, e.g. hrs (hut-reservation.org).")
    source_hut_id: str | None = Field(None, description="The hut's id at its booking source.")


class HutWithLocation(Hut):
    lat: float | None = None
    lon: float | None = None


class Day(BaseModel):
    """The current state of a hut on one date."""

    date: dt.date
    free: int | None = Field(description="Free places; null when the source does not publish them.")
    total: int | None = Field(description="Total places; null when the source does not publish them.")
    occupancy_percent: float | None = Field(description="0-100; null when free or total is unknown.")
    occupancy_steps: int | None = Field(description="Occupancy in steps of 10.")
    occupancy_status: OccupancyStatusEnum
    reservation_status: ReservationStatusEnum
    hut_type: HutTypeEnum = Field(description="The hut's type on this date (e.g. a winter room when closed).")
    day_state: DayState = Field(description=DAY_STATE_DESCRIPTION)
    last_checked: dt.datetime = Field(description="When this date was last checked at the source.")


class DayDetail(Day):
    """A date of one hut, with its booking link and when its state was first seen."""

    link: str | None = Field(description="Where to book this date.")
    first_checked: dt.datetime = Field(description="When the current state was first seen.")


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (WGS 84).")


class HutProperties(Hut):
    days: list[Day] = Field(description="The hut's dates in the range, in order; dates never checked are absent.")


class HutFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str = Field(description="The hut's slug.")
    geometry: PointGeometry | None = Field(description="null when the hut's location is unknown.")
    properties: HutProperties


class HutFeatureCollection(BaseModel):
    """GeoJSON (RFC 7946) of huts in slug order, with paging as foreign members."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[HutFeature]
    date_from: dt.date
    date_to: dt.date
    number_matched: int = Field(description="Huts matching the request before paging.")
    number_returned: int
    offset: int
    limit: int | None


class HutAvailability(BaseModel):
    hut: HutWithLocation
    date_from: dt.date
    date_to: dt.date
    days: list[DayDetail]


class TrendState(BaseModel):
    """A state of the hut-date: in force from first_checked until superseded_at (or now)."""

    free: int | None
    total: int | None
    occupancy_percent: float | None
    hut_type: HutTypeEnum
    reservation_status: ReservationStatusEnum
    day_state: DayState = Field(description=DAY_STATE_DESCRIPTION)
    first_checked: dt.datetime = Field(description="When the state was first seen.")
    last_checked: dt.datetime | None = Field(description="When it was last confirmed.")
    duration_seconds: float | None = Field(description="last_checked minus first_checked.")
    superseded_at: dt.datetime | None = Field(description="When the next state was first seen; null: still current.")
    is_current: bool


class Trend(BaseModel):
    """Every state of a hut-date in force at some time in [window_start, window_end], oldest first."""

    hut: Hut
    date: dt.date
    days_before: int
    window_start: dt.datetime
    window_end: dt.datetime
    states: list[TrendState]


class Error(BaseModel):
    detail: str = Field(description="What was wrong and what to do.")


class NightTrend(BaseModel):
    """What the daily derivation found for one night of the hut (as of `computed_at`)."""

    date: dt.date
    computed_at: dt.datetime = Field(description="The time the trend was derived at (daily).")
    day_state: DayState | None = Field(description=DAY_STATE_DESCRIPTION)
    free: int | None
    total: int | None
    occupancy_percent: float | None
    is_full: bool = Field(description="No free place left (of more than none) at computed_at.")
    became_full_at: dt.datetime | None = Field(description="First check of the first full state; null: never full.")
    days_before_full: int | None = Field(description="How many days before the night it became full.")
    booked_per_day: list[int | None] = Field(
        description="Places booked (net of cancellations) on each of the 7 days ending on computed_at's date,"
        " oldest first; null: the night was not tracked that day.",
        min_length=7,
        max_length=7,
    )
    booked_last_week: int | None = Field(description="Their sum (null when none is known).")
    changes_last_week: int = Field(description="States first seen in those 7 days.")
    free_week_ago: int | None = Field(description="Free places 7 days before computed_at.")
    occupancy_week_ago: float | None = Field(description="Occupancy (0-100) 7 days before computed_at.")


class HutTrends(BaseModel):
    """The derived trends of a hut's nights in [date_from, date_to]; nights never derived are absent."""

    hut: Hut
    date_from: dt.date
    date_to: dt.date
    nights: list[NightTrend]


class AvailabilityRow(Day):
    """A row of the availability table: a hut-date's current state with its hut."""

    slug: str
    name: str
    source: str | None
    source_hut_id: str | None
    link: str | None = Field(description="Where to book this date.")
    first_checked: dt.datetime = Field(description="When the current state was first seen.")


class AvailabilityTable(BaseModel):
    """A page of the availability table and how many rows match the filters in all."""

    date_from: dt.date
    date_to: dt.date
    number_matched: int
    number_returned: int
    offset: int
    limit: int
    rows: list[AvailabilityRow]
