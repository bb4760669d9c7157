"""What the read side returns: huts, their current days, states from the history, filters and
rows of the availability browser. Plain frozen dataclasses, built by name from query rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import HutAvailabilityError


class UnknownHutError(HutAvailabilityError, LookupError):
    """No hut has this slug or id; the message names it."""

    def __init__(self, hut: int | str) -> None:
        self.hut = hut
        what = f"id {hut}" if isinstance(hut, int) else f"slug {hut!r}"
        super().__init__(f"no hut with {what}")


@dataclass(frozen=True)
class HutInfo:
    """A hut as the read side shows it."""

    hut_id: int
    slug: str
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    elevation: int | None
    capacity: int | None
    source: str | None
    source_hut_id: str | None
    is_active: bool


@dataclass(frozen=True)
class DayAvailability:
    """The current state of a hut on one availability date (a row of `hut_availability`)."""

    availability_date: dt.date
    free: int | None
    total: int | None
    occupancy_percent: float | None
    occupancy_steps: int | None
    occupancy_status: str
    reservation_status: str
    hut_type: str
    day_state: str
    link: str | None
    first_checked: dt.datetime
    last_checked: dt.datetime


@dataclass(frozen=True)
class HutAvailability:
    """A hut with its days in a date range (days without a stored state are absent)."""

    hut: HutInfo
    days: list[DayAvailability] = field(default_factory=list)

    @property
    def last_checked(self) -> dt.datetime | None:
        """The newest check among its days (None without days)."""
        return max((d.last_checked for d in self.days), default=None)


@dataclass(frozen=True)
class MapPage:
    """A page of huts for the map, the date range it covers and how many huts match in all."""

    date_from: dt.date
    date_to: dt.date
    huts: list[HutAvailability]
    matched: int
    offset: int = 0
    limit: int | None = None

    @property
    def last_checked(self) -> dt.datetime | None:
        """The newest check on the page (None when it holds no state)."""
        return max((c for h in self.huts if (c := h.last_checked) is not None), default=None)


@dataclass(frozen=True)
class HutState:
    """One state of a hut-date from the history, with its effective last check and duration.

    `superseded_at` is the first check of the next state (None while the state is the latest);
    a state is in force from `first_checked` until then.
    """

    state_id: int
    free: int | None
    total: int | None
    occupancy_percent: float | None
    hut_type: str
    reservation_status: str
    day_state: str
    first_checked: dt.datetime
    last_checked: dt.datetime | None
    duration_seconds: float | None
    superseded_at: dt.datetime | None

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


@dataclass(frozen=True)
class Trend:
    """The states of one hut-date in force at some time in [window_start, window_end], in order."""

    hut: HutInfo
    availability_date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    states: list[HutState]


@dataclass(frozen=True)
class HutDateHistory:
    """Every state of one hut-date, oldest first."""

    hut: HutInfo
    availability_date: dt.date
    states: list[HutState]


@dataclass(frozen=True)
class AvailabilityFilter:
    """Filters of `current_availability`; an empty tuple or None means "any"."""

    date_from: dt.date
    date_to: dt.date
    occupancy_statuses: tuple[str, ...] = ()
    reservation_statuses: tuple[str, ...] = ()
    hut_types: tuple[str, ...] = ()
    day_states: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    search: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class AvailabilityRow:
    """One hut-date of the current state with its hut's slug, name and source."""

    slug: str
    name: str
    availability_date: dt.date
    free: int | None
    total: int | None
    occupancy_percent: float | None
    occupancy_steps: int | None
    occupancy_status: str
    reservation_status: str
    hut_type: str
    day_state: str
    source: str | None
    source_hut_id: str | None
    link: str | None
    first_checked: dt.datetime
    last_checked: dt.datetime


@dataclass(frozen=True)
class MapGeoJSON:
    """for_map's page as GeoJSON text (keys as in the API's HutFeatureCollection)."""

    text: str
    date_from: dt.date
    date_to: dt.date
    last_checked: dt.datetime | None  # the newest check on the page
