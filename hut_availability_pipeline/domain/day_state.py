"""The day state: what a night is for someone who wants to sleep there (see `mapping` for how a
provider's day becomes one)."""

from __future__ import annotations

from enum import StrEnum

from hut_services.core.schema import ReservationStatusEnum


class DayState(StrEnum):
    """What a night is: bookable online, sold out (with or without numbers), winter room, closed."""

    bookable = "bookable"
    full = "full"
    not_bookable_online = "not_bookable_online"
    winter_room = "winter_room"
    closed = "closed"
    unknown = "unknown"

    @property
    def sold_out(self) -> bool:
        """Serviced, but nothing can be booked online (full, or no places offered)."""
        return self in SOLD_OUT

    @property
    def reservation_status(self) -> ReservationStatusEnum:
        """hut-services' reservation status of a night in this state."""
        return _RESERVATION_STATUS[self]


SOLD_OUT = frozenset({DayState.full, DayState.not_bookable_online})
_RESERVATION_STATUS = {
    DayState.bookable: ReservationStatusEnum.possible,
    DayState.full: ReservationStatusEnum.not_possible,
    DayState.not_bookable_online: ReservationStatusEnum.not_possible,
    DayState.winter_room: ReservationStatusEnum.not_online,
    DayState.closed: ReservationStatusEnum.not_online,
    DayState.unknown: ReservationStatusEnum.unknown,
}
