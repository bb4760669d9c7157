"""Bookings of one hut as hut-services schemas, extended by the hut type of each date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from hut_services.core.schema import (
    BookingSchema,
    HutBookingsSchema,
    HutTypeEnum,
    OccupancyStatusEnum,
    PlacesSchema,
    ReservationStatusEnum,
)
from pydantic import Field

from .day_state import DayState
from .huts import HutRef

__all__ = [
    "BookingSchema",
    "DayState",
    "HutBookingSchema",
    "HutBookingsSchema",
    "HutFetchResult",
    "HutRef",
    "HutTypeEnum",
    "Night",
    "OccupancyStatusEnum",
    "PlacesSchema",
    "RejectedDay",
    "ReservationStatusEnum",
]


class HutBookingSchema(BookingSchema):
    """A `BookingSchema` with the hut's type on that date (open type, closed type or `closed`).

    The seed's `HutBookingSchema` carries `hut_type`; hut-services' `BookingSchema` does not, so we
    extend it here instead of re-implementing its places and occupancy rules. `day_state` tells
    the night's states apart where hut-services' reservation status does not (full with 0 free
    vs. not bookable online without numbers; winter room vs. closed).
    """

    hut_type: HutTypeEnum = Field(HutTypeEnum.unknown, description="Type of the hut on this date.")
    day_state: DayState = Field(
        DayState.unknown, description="What the night is: bookable, full, not bookable online, ..."
    )


@dataclass(frozen=True)
class RejectedDay:
    """One day of a provider answer that could not be used, with the reason."""

    index: int
    date: str | None
    reason: str


class Night(NamedTuple):
    """One night of a hut as a provider's answer gave it, mapped to our day model: what the engine
    stores. `places` are hut-services' own (validated; shared by the nights of an answer with the
    same numbers, so never mutate them) and `occupancy` their computed fields, taken once per
    distinct places. A hut-services `HutBookingSchema` of the night is built only when a caller
    asks for one (`booking`): a model per day was most of a hut's parsing time. Immutable; a named
    tuple rather than a frozen dataclass because a year of nights per hut is made per fetch, and a
    frozen dataclass takes 2.5 times as long to build (0.83 µs against 0.33 µs a night)."""

    date: dt.date
    day_state: DayState
    hut_type: HutTypeEnum
    unattended: bool
    places: PlacesSchema
    occupancy: tuple[float | None, int | None, OccupancyStatusEnum]  # percent, steps, status

    @property
    def reservation_status(self) -> ReservationStatusEnum:
        return self.day_state.reservation_status

    def booking(self, link: str | None) -> HutBookingSchema:
        """The night as hut-services' booking, extended by hut type and day state."""
        return HutBookingSchema(
            date=self.date,
            reservation_status=self.reservation_status,
            unattended=self.unattended,
            places=self.places.model_copy(),
            link=link,
            hut_type=self.hut_type,
            day_state=self.day_state,
        )

    @classmethod
    def of(cls, booking: BookingSchema) -> Night:
        """A hut-services booking as a night (for callers that build bookings themselves); a plain
        `BookingSchema` has no hut type or day state: unknown."""
        places = booking.places
        return cls(
            booking.date,
            getattr(booking, "day_state", DayState.unknown),
            getattr(booking, "hut_type", HutTypeEnum.unknown),
            booking.unattended,
            places,
            occupancy_of(places),
        )


def occupancy_of(places: PlacesSchema) -> tuple[float | None, int | None, OccupancyStatusEnum]:
    """hut-services' computed occupancy fields of these places."""
    return places.occupancy_percent, places.occupancy_steps, places.occupancy_status


@dataclass
class HutFetchResult:
    """The outcome of fetching one hut: its nights, or the error that prevented them.

    `received_at` is when the provider's answer arrived; it becomes the check time of every state.
    `nights` (sorted by date) cover [start_date, start_date + days); `bookings` is the same answer
    as hut-services' `HutBookingsSchema`, built on first use.
    """

    hut: HutRef
    received_at: dt.datetime
    nights: list[Night] | None = None
    start_date: dt.date | None = None
    days: int = 0
    link: str | None = None
    error: str | None = None
    rejected_days: list[RejectedDay] = field(default_factory=list)
    requests: int = 1
    seconds: float = 0.0
    _bookings: HutBookingsSchema | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.nights is not None and self.error is None

    @property
    def bookings(self) -> HutBookingsSchema | None:
        """The nights as hut-services' bookings of the hut (None when the fetch failed)."""
        if self._bookings is None and self.nights is not None and self.start_date is not None:
            hid = self.hut.source_hut_id
            source_id: int | str = int(hid) if hid.isdigit() else hid
            self._bookings = HutBookingsSchema(
                source_id=source_id,
                start_date=self.start_date,
                days=self.days,
                link=self.link,
                bookings=[n.booking(self.link) for n in self.nights],
            )
        return self._bookings

    @classmethod
    def of_bookings(cls, hut: HutRef, received_at: dt.datetime, bookings: HutBookingsSchema) -> HutFetchResult:
        """A successful fetch of `hut` from bookings built elsewhere (tests, the single-hut methods)."""
        nights = sorted((Night.of(b) for b in bookings.bookings), key=lambda n: n.date)
        return cls(
            hut=hut,
            received_at=received_at,
            nights=nights,
            start_date=bookings.start_date,
            days=bookings.days,
            link=bookings.link or next((b.link for b in bookings.bookings if b.link), None),
            _bookings=bookings,
        )
