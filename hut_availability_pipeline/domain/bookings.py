"""Bookings of one hut as hut-services schemas, extended by the hut type of each date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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

__all__ = [
    "BookingSchema",
    "DayState",
    "HutBookingSchema",
    "HutBookingsSchema",
    "HutFetchResult",
    "HutRef",
    "HutTypeEnum",
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
class HutRef:
    """What a provider needs to know about a hut to fetch and map its bookings."""

    hut_id: int
    slug: str
    source: str
    source_hut_id: str
    hut_type_open: HutTypeEnum = HutTypeEnum.hut
    hut_type_closed: HutTypeEnum = HutTypeEnum.selfhut
    source_organization_id: int | None = None


@dataclass(frozen=True)
class RejectedDay:
    """One day of a provider answer that could not be used, with the reason."""

    index: int
    date: str | None
    reason: str


@dataclass
class HutFetchResult:
    """The outcome of fetching one hut: its bookings, or the error that prevented them.

    `received_at` is when the provider's answer arrived; it becomes the check time of every state.
    """

    hut: HutRef
    received_at: dt.datetime
    bookings: HutBookingsSchema | None = None
    error: str | None = None
    rejected_days: list[RejectedDay] = field(default_factory=list)
    requests: int = 1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.bookings is not None and self.error is None
