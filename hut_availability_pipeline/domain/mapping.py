"""Rules that turn a provider's day into a day state, a hut type and a reservation status.

A day state says what a night is for someone who wants to sleep there:

| day state | when (hut-reservation.org) | reservation status | places |
|---|---|---|---|
| `bookable` | SERVICED, free > 0 | `possible` | free, total as published |
| `full` | SERVICED, free 0, places offered | `not_possible` | 0, total |
| `not_bookable_online` | SERVICED, `freeBeds` null or no places (0 of 0) | `not_possible` | free null, total 0 |
| `winter_room` | UNSERVICED / NOT_SERVICED | `not_online` | as published (the winter room) |
| `closed` | CLOSED | `not_online` | free null, total 0 |
| `unknown` | any other status | `unknown` | as published |

Only `bookable` nights have places that can be booked online; `full` and `not_bookable_online`
are both sold out online (the second without numbers: "nothing can be booked online for that
night", which the site shows on busy nights and before a season opens for booking).
"""

from __future__ import annotations

from .bookings import HutTypeEnum
from .day_state import DayState

SERVICED = "SERVICED"
CLOSED = "CLOSED"
UNSERVICED_VALUES = frozenset({"UNSERVICED", "NOT_SERVICED"})
KNOWN_HUT_STATUSES = frozenset({SERVICED, CLOSED, *UNSERVICED_VALUES})
NO_PLACES_OFFERED = frozenset({DayState.not_bookable_online, DayState.closed})
"""Day states of nights without places offered: stored as free null ("not published"), total 0."""


def day_state_for(hut_status: str, free: int | None, total: int | None) -> DayState:
    """The day state of a day with this `hutStatus` and published free/total places (see the table)."""
    if hut_status == SERVICED:
        if free is None or (free == 0 and total == 0):
            return DayState.not_bookable_online
        return DayState.bookable if free > 0 else DayState.full
    if hut_status in UNSERVICED_VALUES:
        return DayState.winter_room
    if hut_status == CLOSED:
        return DayState.closed
    return DayState.unknown


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
