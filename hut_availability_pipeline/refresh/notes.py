"""What a refresh notes per hut while the engine runs, for the run's metadata: each hut's fullest
nights and its share of the write time. Pure Python, so the command line collects it without
importing Dagster; `defs.refresh.hut_refresh.HutRefreshRecorder` turns it into materialization
metadata."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..domain.bookings import HutFetchResult, Night
from ..domain.day_state import DayState
from ..storage.writer import BatchResult
from .engine import FetchedCallback, StoredCallback

FULLEST_DATES = 5


@dataclass(frozen=True)
class FullDate:
    """One of the fullest dates of a hut's answer."""

    date: dt.date
    free: int | None
    total: int | None
    occupancy: float  # a full night counts as fully booked
    day_state: str

    @classmethod
    def of(cls, night: Night) -> FullDate | None:
        """The night as one of the fullest, when it is bookable (with a known occupancy) or really
        full; None otherwise. A night "not bookable online" (often a block far ahead that the hut has
        not opened yet), a winter room or a closed night is not full, however the site counts it."""
        if night.day_state is DayState.full:
            occupancy: float | None = 100.0
        elif night.day_state is DayState.bookable:
            occupancy = night.occupancy[0]
        else:
            return None
        if occupancy is None:
            return None
        return cls(night.date, night.places.free, night.places.total, occupancy, night.day_state.value)


@dataclass
class HutNotes:
    """What the recorder keeps of one hut: its fullest dates and its share of the write time."""

    fullest: list[FullDate] = field(default_factory=list)
    write_seconds: float = 0.0


class RefreshNotes:
    """Engine callbacks that collect per-hut notes; optional callbacks are called too (e.g. the
    CLI's progress bars), so the notes can ride along on any refresh (`refresh_huts`, `run_update`)."""

    def __init__(self, on_fetched: FetchedCallback | None = None, on_stored: StoredCallback | None = None) -> None:
        self.notes: dict[int, HutNotes] = {}
        self._on_fetched = on_fetched
        self._on_stored = on_stored

    def on_fetched(self, result: HutFetchResult) -> None:
        """Keep the fullest dates of the answer (not the answer itself)."""
        notes = self.notes.setdefault(result.hut.hut_id, HutNotes())
        if result.ok and result.nights is not None:
            known = (full for n in result.nights if (full := FullDate.of(n)) is not None)
            notes.fullest = heapq.nsmallest(FULLEST_DATES, known, key=lambda d: (-d.occupancy, d.date))
        if self._on_fetched is not None:
            self._on_fetched(result)

    def on_stored(self, batch: BatchResult, huts: int) -> None:
        """Share the batch's transaction time among its huts."""
        ids = [*batch.counts, *batch.failed]
        for hut_id in ids:
            self.notes.setdefault(hut_id, HutNotes()).write_seconds = batch.seconds / max(len(ids), 1)
        if self._on_stored is not None:
            self._on_stored(batch, huts)


def fullest_dates_table(dates: Sequence[FullDate]) -> str:
    """A short markdown table of the fullest dates, fullest first."""
    if not dates:
        return "No date with a known occupancy."
    lines = ["| date | state | free | total | occupancy |", "|---|---|---:|---:|---:|"]
    for d in dates:
        free = "?" if d.free is None else str(d.free)
        total = "?" if d.total is None else str(d.total)
        lines.append(f"| {d.date:%Y-%m-%d %a} | {d.day_state} | {free} | {total} | {d.occupancy:.0f} % |")
    return "\n".join(lines)
