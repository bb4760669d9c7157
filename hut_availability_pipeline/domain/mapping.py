"""Rules that turn a provider's day into a hut type and a reservation status."""

from __future__ import annotations

from .bookings import HutTypeEnum, ReservationStatusEnum

SERVICED = "SERVICED"
CLOSED = "CLOSED"
UNSERVICED_VALUES = frozenset({"UNSERVICED", "NOT_SERVICED"})
KNOWN_HUT_STATUSES = frozenset({SERVICED, CLOSED, *UNSERVICED_VALUES})


def hut_type_for_status(hut_status: str | None, open_type: HutTypeEnum, closed_type: HutTypeEnum) -> HutTypeEnum:
    """SERVICED → the hut's open type; UNSERVICED/NOT_SERVICED → its closed type (winter room);
    CLOSED → `closed`; anything else → `unknown`."""
    if hut_status == SERVICED:
        return open_type
    if hut_status in UNSERVICED_VALUES:
        return closed_type
    if hut_status == CLOSED:
        return HutTypeEnum.closed
    return HutTypeEnum.unknown


def reservation_status_for(hut_status: str | None, free: int | None) -> ReservationStatusEnum:
    """`possible` when serviced with free places, `not_possible` when serviced and full,
    `not_online` when not serviced or closed, else `unknown`."""
    if hut_status == SERVICED:
        if free is None:
            return ReservationStatusEnum.unknown
        return ReservationStatusEnum.possible if free > 0 else ReservationStatusEnum.not_possible
    if hut_status in UNSERVICED_VALUES or hut_status == CLOSED:
        return ReservationStatusEnum.not_online
    return ReservationStatusEnum.unknown
