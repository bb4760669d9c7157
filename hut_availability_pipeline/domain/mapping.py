"""Rules that turn a night, in our words, into a day state, a hut type and a reservation status.

Each provider maps its own protocol to our words first (hut-reservation.org's `hutStatus`
SERVICED / CLOSED / UNSERVICED in `providers/hut_reservation`, Hütten-Holiday's `totalPlaces` 0 in
`providers/huetten_holiday`, ...): whether the hut is `serviced`, `unserviced` (winter room only)
or `closed` that night (`Service`), its free places and its total places. The rules below then say
what the night is for someone who wants to sleep there:

| day state | service | free, total | reservation status | stored places |
|---|---|---|---|---|
| `bookable` | serviced | free > 0 | `possible` | free, total as published (total may be unknown) |
| `full` | serviced | free 0, places offered | `not_possible` | 0, total |
| `not_bookable_online` | serviced | free unknown, or no places (0 of 0) | `not_possible` | free null, total 0 |
| `not_bookable_online` | serviced, site without totals | free 0 ("no place online") | `not_possible` | 0, total null |
| `winter_room` | unserviced | any | `not_online` | as published (the winter room) |
| `closed` | closed | any | `not_online` | free null, total 0 |
| `unknown` | unknown | any | `unknown` | as published |

Only `bookable` nights have places that can be booked online; `full` and `not_bookable_online`
are both sold out online (the second without numbers: "nothing can be booked online for that
night", which hut-reservation.org shows on busy nights and before a season opens for booking).

Sites that publish no total (the Tour du Mont Blanc refuges, the French Alpine Club's central
booking) give only the free places. There a 0 cannot tell full from closed or not sold online, so
it is `not_bookable_online` ("no place online"), stored as free 0 and total null: never bookable,
never `possible`, and the same 0 served twice is the same state. Their free places > 0 are
`bookable` with the total null: occupancy unknown, never a made-up capacity.
"""

from __future__ import annotations

from enum import StrEnum

from .bookings import HutTypeEnum
from .day_state import DayState

__all__ = [
    "NO_PLACES_OFFERED",
    "Service",
    "day_state_for",
    "day_state_without_total",
    "hut_type_for",
    "stored_places",
]


class Service(StrEnum):
    """Whether a hut is run on a night, as a provider's protocol tells it (mapped in its package)."""

    serviced = "serviced"
    """Guarded and selling places."""
    unserviced = "unserviced"
    """Not guarded: only the winter room (the hut's closed type) is open."""
    closed = "closed"
    """Closed: nothing to sleep in."""
    unknown = "unknown"
    """The provider said something we do not know: kept, never guessed."""


NO_PLACES_OFFERED = frozenset({DayState.not_bookable_online, DayState.closed})
"""Day states of nights without places offered: stored as free null ("not published"), total 0,
except a "no place online" night of a site without totals (free 0, total null)."""


def day_state_for(service: Service, free: int | None, total: int | None) -> DayState:
    """The day state of a night of a site that publishes free and total places (see the table)."""
    if service is Service.serviced:
        if free is None or (free == 0 and total == 0):
            return DayState.not_bookable_online
        return DayState.bookable if free > 0 else DayState.full
    return _unserviced_state(service)


def day_state_without_total(service: Service, free: int | None) -> DayState:
    """The day state of a night of a site that publishes free places only: serviced with free > 0
    is bookable, anything else serviced ("no place online", free 0 or unknown) not bookable online."""
    if service is Service.serviced:
        return DayState.bookable if free is not None and free > 0 else DayState.not_bookable_online
    return _unserviced_state(service)


def _unserviced_state(service: Service) -> DayState:
    if service is Service.unserviced:
        return DayState.winter_room
    if service is Service.closed:
        return DayState.closed
    return DayState.unknown


def stored_places(state: DayState, free: int | None, total: int | None) -> tuple[int | None, int | None]:
    """The (free, total) a night in `state` is stored with: a night without places offered is free
    null, total 0, whatever counts the day carried (a free number would make it look bookable);
    the "no place online" 0 of a site without totals (free 0, total null) is kept as served."""
    if state in NO_PLACES_OFFERED and not (state is DayState.not_bookable_online and free == 0 and total is None):
        return None, 0
    return free, total


def hut_type_for(service: Service, open_type: HutTypeEnum, closed_type: HutTypeEnum) -> HutTypeEnum:
    """serviced → the hut's open type; unserviced → its closed type (winter room); closed →
    `closed`; unknown → `unknown`."""
    if service is Service.serviced:
        return open_type
    if service is Service.unserviced:
        return closed_type
    if service is Service.closed:
        return HutTypeEnum.closed
    return HutTypeEnum.unknown
