"""`history import`: past checks into the tables live updates write, through the same writer.

The whole file is read and checked first (`rows.read_history_file`), its huts looked up, then
stored in ONE transaction: a bad row, an unknown hut or a database error stores nothing of the
file. Snapshots (rows with the same `observed_at`) are written in time order, each as one batch
of `storage.writer.write_batch` with the snapshot's time as the check time, exactly as a live
update at that time would have been: the current state moves to the newest check, the history
gets a state only where the values changed, `first_checked`/`last_checked` are the snapshots'
times.

Older than stored: a check older than (or as old as) the last check stored for that hut-night is
REFUSED (counted as `refused_older`), not merged: the writer never rewrites a past it has already
closed. So importing a file twice changes nothing, files imported in time order extend the
history, and a file older than what is stored only adds the hut-nights that were not stored at
all. To merge an older season into a newer one, import the older file first (into an empty
database, or before the live updates start).

Past nights are stored like any other. Retention (`HUT_AVAILABILITY_RETENTION_HISTORY_DAYS`,
default 400) drops history months older than the window at its next run, imports included: the
result counts the nights beyond the window (`beyond_retention`) so the command can say so before
it happens; raise the setting to keep an old season.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from hut_services.core.schema import HutTypeEnum, PlacesSchema

from ..domain.bookings import HutFetchResult, Night, occupancy_of
from ..domain.day_state import DayState
from ..domain.huts import HutRef
from ..storage.huts import hut_ref_from_row
from ..storage.retention import ensure_partitions
from ..storage.writer import HutWriteCounts, write_batch
from .rows import HistoryFileError, HistoryRow, read_history_file

__all__ = ["ImportResult", "import_history", "nights_of"]

_HUTS_SQL = """
SELECT h.id AS hut_id, h.slug, o.slug AS source, h.source_hut_id, h.hut_type_open, h.hut_type_closed,
       h.source_organization_id
FROM huts h JOIN organizations o ON o.id = h.source_organization_id
WHERE (o.slug, h.source_hut_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""


@dataclass
class ImportResult:
    """What one file did to the tables."""

    path: Path
    rows: int = 0
    snapshots: int = 0
    huts: int = 0
    first_observed: dt.datetime | None = None
    last_observed: dt.datetime | None = None
    counts: HutWriteCounts = field(default_factory=HutWriteCounts)
    past_nights: int = 0  # distinct hut-nights before `today`
    beyond_retention: int = 0  # distinct hut-nights older than the retention window

    @property
    def refused_older(self) -> int:
        """Checks not stored because a check as new or newer was stored for that hut-night."""
        return self.counts.stale


def _day_state(free: int | None) -> DayState:
    if free is None:
        return DayState.unknown
    return DayState.bookable if free > 0 else DayState.full


def nights_of(rows: Iterable[HistoryRow], hut_type: HutTypeEnum) -> list[Night]:
    """One snapshot's rows of one hut as the engine's nights, sorted by date. `free` 0 is `full`
    (no place bookable online), empty is `unknown` (not published); totals may be empty."""
    places: dict[tuple[int | None, int | None], PlacesSchema] = {}
    out = []
    for row in rows:
        key = (row.free, row.total)
        if key not in places:
            places[key] = PlacesSchema(free=row.free, total=row.total, free_tolerance=0, total_fallback=None)
        p = places[key]
        out.append(Night(row.date, _day_state(row.free), hut_type, False, p, occupancy_of(p)))
    return sorted(out, key=lambda n: n.date)


def _huts(conn: psycopg.Connection[Any], path: Path, rows: list[HistoryRow]) -> dict[tuple[str, str], HutRef]:
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        first_line.setdefault((row.source, row.source_hut_id), row.line)
    keys = list(first_line)
    cursor = conn.cursor(row_factory=psycopg.rows.dict_row)
    found = cursor.execute(_HUTS_SQL, ([k[0] for k in keys], [k[1] for k in keys])).fetchall()
    huts = {(r["source"], r["source_hut_id"]): hut_ref_from_row(r) for r in found}
    unknown = [k for k in keys if k not in huts]
    if unknown:
        source, hut_id = unknown[0]
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise HistoryFileError(
            f"{path}: line {first_line[unknown[0]]}: no hut of source {source!r} with id {hut_id!r}{more};"
            " load the huts first (hut-availability huts load FILE.csv)"
        )
    return huts


def import_history(conn: psycopg.Connection[Any], path: Path, *, today: dt.date, retention_days: int) -> ImportResult:
    """Store the file's checks (see the module docstring); raise HistoryFileError, storing
    nothing, when the file is bad or names a hut that is not loaded."""
    rows = list(read_history_file(path))
    out = ImportResult(path=path, rows=len(rows))
    if not rows:
        return out
    huts = _huts(conn, path, rows)
    by_snapshot: dict[dt.datetime, dict[int, list[HistoryRow]]] = defaultdict(lambda: defaultdict(list))
    hut_by_id: dict[int, HutRef] = {}
    nights: set[tuple[int, dt.date]] = set()
    for row in rows:
        hut = huts[(row.source, row.source_hut_id)]
        hut_by_id[hut.hut_id] = hut
        by_snapshot[row.observed_at][hut.hut_id].append(row)
        nights.add((hut.hut_id, row.date))
    cutoff = today - dt.timedelta(days=retention_days)
    out.snapshots = len(by_snapshot)
    out.huts = len(hut_by_id)
    out.first_observed, out.last_observed = min(by_snapshot), max(by_snapshot)
    out.past_nights = sum(1 for _, d in nights if d < today)
    out.beyond_retention = sum(1 for _, d in nights if d < cutoff)
    ensure_partitions(conn, {d for _, d in nights})  # before the transaction: see ensure_partitions
    counts = []
    with conn.transaction():
        for observed_at in sorted(by_snapshot):
            results = []
            for hut_id, hut_rows in by_snapshot[observed_at].items():
                hut = hut_by_id[hut_id]
                snapshot_nights = nights_of(hut_rows, HutTypeEnum(hut.hut_type_open))
                start = snapshot_nights[0].date
                results.append(
                    HutFetchResult(
                        hut=hut,
                        received_at=observed_at,
                        nights=snapshot_nights,
                        start_date=start,
                        days=(snapshot_nights[-1].date - start).days + 1,
                    )
                )
            counts.append(write_batch(conn, results, record_status=False).total())
    out.counts = HutWriteCounts.sum(counts)
    return out
