"""The state of one hut-date and the change test (the seed's `has_changed`)."""

from __future__ import annotations

from dataclasses import dataclass

from .bookings import HutBookingSchema


@dataclass(frozen=True)
class AvailabilityState:
    """What identifies a state: a change is a difference in any of these fields."""

    free: int | None
    total: int | None
    hut_type: str
    reservation_status: str
    day_state: str

    @classmethod
    def of(cls, booking: HutBookingSchema) -> AvailabilityState:
        return cls(
            free=booking.places.free,
            total=booking.places.total,
            hut_type=booking.hut_type.value,
            reservation_status=booking.reservation_status.value,
            day_state=booking.day_state.value,
        )


CHANGE_FIELDS: tuple[str, ...] = ("free", "total", "hut_type", "reservation_status", "day_state")


def has_changed(current: AvailabilityState | None, observed: AvailabilityState) -> bool:
    """True when `observed` is a new state: there is no current one, or a change field differs."""
    return current is None or current != observed
