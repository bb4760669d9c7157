"""Watch rules: when a watch is satisfied by the nights we know, and when to tell its owner.

A night counts as free for a watch when its day state is `bookable` and it has at least `beds`
free places (a not-bookable-online, full, winter-room, closed or unknown night never counts).

* A hut watch is satisfied by a start date s in [date_from, date_to - nights + 1] whose nights
  s .. s + nights - 1 are all free.
* A tour watch (huts h0, h1, ... in order, one night each) is satisfied by a start date s in
  [date_from, date_to] when hut h_i is free on night s + i, for every i.

An option (a start date and its nights) counts only when it lies wholly in the future (no night
before today) and at least one of its nights has a state first seen at or after the watch was
created: a watch tells of beds that free up, never of a state that is older than the watch.

Re-notify rule (`decide`): a watch notifies once when it becomes satisfied (a new episode).
While it stays satisfied it notifies again only when strictly more appears: more options than
last notified, or more free places on its best option than last notified. When it stops being
satisfied the episode ends; the next satisfaction is a new episode and notifies again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .day_state import DayState

MAX_NIGHTS = 60
MAX_BEDS = 500


class WatchKind(StrEnum):
    hut = "hut"
    tour = "tour"


@dataclass(frozen=True)
class Night:
    """The current state of one hut-date, as far as a watch cares."""

    day_state: DayState
    free: int | None
    first_checked: dt.datetime
    link: str | None = None

    def is_free_for(self, beds: int) -> bool:
        return self.day_state is DayState.bookable and self.free is not None and self.free >= beds


@dataclass(frozen=True)
class WatchSpec:
    """What a watch asks for: huts (one for a hut watch; in order for a tour), dates, beds."""

    kind: WatchKind
    hut_ids: tuple[int, ...]
    date_from: dt.date
    date_to: dt.date
    nights: int = 1
    beds: int = 1
    created_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        problems = spec_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    def hut_nights(self) -> list[tuple[int, int, dt.date, dt.date]]:
        """(position, hut id, first night, last night) that each position can touch."""
        if self.kind is WatchKind.hut:
            return [(0, self.hut_ids[0], self.date_from, self.date_to)]
        return [
            (i, hut, self.date_from + dt.timedelta(days=i), self.date_to + dt.timedelta(days=i))
            for i, hut in enumerate(self.hut_ids)
        ]


def spec_problems(spec: WatchSpec) -> list[str]:
    """What is wrong with a watch, in words for its owner (empty: nothing)."""
    problems = []
    if spec.date_to < spec.date_from:
        problems.append(f"--to {spec.date_to.isoformat()} is before --from {spec.date_from.isoformat()}")
    if not 1 <= spec.beds <= MAX_BEDS:
        problems.append(f"--beds must be between 1 and {MAX_BEDS}, got {spec.beds}")
    if not 1 <= spec.nights <= MAX_NIGHTS:
        problems.append(f"--nights must be between 1 and {MAX_NIGHTS}, got {spec.nights}")
    if spec.kind is WatchKind.hut:
        if len(spec.hut_ids) != 1:
            problems.append("a hut watch has exactly one hut")
        if spec.date_to >= spec.date_from and (spec.date_to - spec.date_from).days + 1 < spec.nights:
            problems.append(
                f"{spec.nights} consecutive nights do not fit between {spec.date_from.isoformat()}"
                f" and {spec.date_to.isoformat()}"
            )
    else:
        if spec.nights != 1:
            problems.append("a tour has one night per hut: --nights is for hut watches")
        if not 2 <= len(spec.hut_ids) <= MAX_NIGHTS:
            problems.append(f"a tour has between 2 and {MAX_NIGHTS} huts, got {len(spec.hut_ids)}")
    return problems


@dataclass(frozen=True)
class StayNight:
    """One night of an option: which hut, which date, how many free."""

    hut_id: int
    date: dt.date
    free: int
    link: str | None


@dataclass(frozen=True)
class Option:
    """One way to satisfy a watch: a start date and its nights."""

    start: dt.date
    nights: tuple[StayNight, ...]

    @property
    def free(self) -> int:
        """The places the whole stay has for everyone: its fewest free on any night."""
        return min(n.free for n in self.nights)


def options(spec: WatchSpec, nights: Mapping[tuple[int, dt.date], Night], today: dt.date) -> list[Option]:
    """Every option that satisfies the watch now (see the module docstring), by start date."""
    plan = _plan(spec)
    found = []
    start = spec.date_from
    last_start = spec.date_to - dt.timedelta(days=spec.nights - 1) if spec.kind is WatchKind.hut else spec.date_to
    while start <= last_start:
        if start >= today:
            stay = []
            fresh = False
            for offset, hut in plan:
                day = start + dt.timedelta(days=offset)
                night = nights.get((hut, day))
                if night is None or not night.is_free_for(spec.beds):
                    break
                fresh = fresh or spec.created_at is None or night.first_checked >= spec.created_at
                stay.append(StayNight(hut, day, night.free or 0, night.link))
            else:
                if fresh:
                    found.append(Option(start, tuple(stay)))
        start += dt.timedelta(days=1)
    return found


def _plan(spec: WatchSpec) -> list[tuple[int, int]]:
    """(night offset from the start date, hut id) of every night an option needs."""
    if spec.kind is WatchKind.hut:
        return [(i, spec.hut_ids[0]) for i in range(spec.nights)]
    return list(enumerate(spec.hut_ids))


@dataclass(frozen=True)
class WatchMemory:
    """What a watch remembers between evaluations."""

    satisfied: bool = False
    episode: int = 0
    notified_options: int = 0
    notified_free: int = 0


@dataclass(frozen=True)
class Decision:
    """The outcome of one evaluation: the new memory and, when the owner is to be told, the
    notification's (episode, sequence in the episode)."""

    memory: WatchMemory
    notify: tuple[int, int] | None


def decide(memory: WatchMemory, found: Sequence[Option], sequence_so_far: int) -> Decision:
    """Apply the re-notify rule (module docstring). `sequence_so_far` is how many notifications
    the current episode has had."""
    if not found:
        return Decision(WatchMemory(False, memory.episode, 0, 0), None)
    count = len(found)
    best = max(option.free for option in found)
    if not memory.satisfied:
        episode = memory.episode + 1
        return Decision(WatchMemory(True, episode, count, best), (episode, 0))
    if count > memory.notified_options or best > memory.notified_free:
        kept = WatchMemory(True, memory.episode, max(count, memory.notified_options), max(best, memory.notified_free))
        return Decision(kept, (memory.episode, sequence_so_far))
    return Decision(memory, None)


def window_passed(spec: WatchSpec, today: dt.date) -> bool:
    """No option can start any more: the watch expires."""
    last_start = spec.date_to - dt.timedelta(days=spec.nights - 1) if spec.kind is WatchKind.hut else spec.date_to
    return last_start < today


def message(
    spec: WatchSpec, found: Sequence[Option], hut_names: Mapping[int, str], name: str | None, limit: int = 5
) -> tuple[str, str]:
    """(title, body) of a notification: which huts, which nights, how many free, booking links."""
    what = name or (" → ".join(hut_names[h] for h in spec.hut_ids))
    title = f"Free: {what}"
    lines = []
    for option in found[:limit]:
        lines.append(f"From {option.start.isoformat()}, {option.free} free for the whole stay:")
        for night in option.nights:
            link = f" {night.link}" if night.link else ""
            lines.append(f"  {night.date.isoformat()} {hut_names[night.hut_id]}: {night.free} free{link}")
    if len(found) > limit:
        lines.append(f"... and {len(found) - limit} more start dates")
    return title, "\n".join(lines)
