"""A tour: huts in order, one night each (hut 1 on the start night, hut 2 on the next, ...). Which
start dates of a window work for a party, and which miss by one night. Pure: the nights' states
come in, the plan goes out (storage/tours.py reads them, the API and the pages show the plan).

A night counts when a party can book it online: its day state is bookable and it has at least
the party's number of free places. Winter-room places never count (the winter room is not booked
online), nor do nights without numbers or without a state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .day_state import DayState


@dataclass(frozen=True)
class NightState:
    """The current state of a hut on one night, as the tour needs it."""

    day_state: str
    free: int | None
    total: int | None
    link: str | None


@dataclass(frozen=True)
class TourNight:
    """One night of a tour: the hut (its slug), the date, its state (None: never checked) and
    whether the party can book it online."""

    slug: str
    night: dt.date
    state: NightState | None
    fits: bool


@dataclass(frozen=True)
class TourStart:
    """A start date and the tour's nights from it; `failing` are the nights that do not fit."""

    start: dt.date
    nights: tuple[TourNight, ...]

    @property
    def failing(self) -> tuple[TourNight, ...]:
        return tuple(n for n in self.nights if not n.fits)

    @property
    def end(self) -> dt.date:
        """The morning the tour ends (the day after its last night)."""
        return self.start + dt.timedelta(days=len(self.nights))


@dataclass(frozen=True)
class TourPlan:
    """Every start date of the window on which every night fits, and apart from them the near
    misses: the start dates on which exactly one night does not."""

    fits: list[TourStart]
    near_misses: list[TourStart]


def bookable_for(state: NightState | None, party: int) -> bool:
    """Whether `party` people can book this night online (bookable, at least `party` free)."""
    return state is not None and state.day_state == DayState.bookable and state.free is not None and state.free >= party


def plan_tour(
    huts: Sequence[str],
    nights: Mapping[tuple[str, dt.date], NightState],
    party: int,
    first: dt.date,
    last: dt.date,
) -> TourPlan:
    """The start dates from `first` to `last` (both included) on which hut i (a slug of `huts`,
    in order) has at least `party` places bookable online on night start + i; `nights` holds the
    states by (slug, night), a missing one is a night never checked."""
    if party < 1:
        raise ValueError(f"a party is at least 1 person, not {party}")
    if not huts:
        raise ValueError("a tour needs at least one hut")
    fits: list[TourStart] = []
    near: list[TourStart] = []
    start = first
    while start <= last:
        tour = []
        for i, slug in enumerate(huts):
            night = start + dt.timedelta(days=i)
            state = nights.get((slug, night))
            tour.append(TourNight(slug, night, state, bookable_for(state, party)))
        candidate = TourStart(start, tuple(tour))
        missing = len(candidate.failing)
        if missing == 0:
            fits.append(candidate)
        elif missing == 1:
            near.append(candidate)
        if start == dt.date.max:
            break
        start += dt.timedelta(days=1)
    return TourPlan(fits, near)
