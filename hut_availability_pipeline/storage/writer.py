"""The batched writer: one transaction per batch of huts, COPY into a staging table, then a few
set-based statements that maintain the current state and the change history."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..domain.bookings import HutFetchResult, Night
from .retention import ensure_partitions
from .sqlfiles import query

logger = logging.getLogger(__name__)

STAGING_COLUMNS = (
    "hut_id",
    "availability_date",
    "source_organization_id",
    "source_hut_id",
    "free",
    "total",
    "occupancy_percent",
    "occupancy_steps",
    "occupancy_status",
    "reservation_status",
    "link",
    "hut_type",
    "day_state",
    "checked_at",
)
_COPY_SQL = f"COPY incoming_availability ({', '.join(STAGING_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
STAGING_TYPES = ("int4", "date", "int4", "text", "int4", "int4", "float8", "int2", "text", "text", "text", "text",
               "text", "timestamptz")  # fmt: skip
_EMPTY_STAGING_SQL = "TRUNCATE incoming_availability, incoming_changes"
_LOCK_HUTS_SQL = "SELECT id FROM huts WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE"


@dataclass
class HutWriteCounts:
    """What one hut's answer did to the tables."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    stale: int = 0  # older than a check already stored (an overlapping run got there first)
    missing: int = 0  # stored dates in range the provider no longer returned
    history_inserted: int = 0
    history_closed: int = 0

    @classmethod
    def sum(cls, counts: Iterable[HutWriteCounts]) -> HutWriteCounts:
        """Field-by-field total of several huts' counts."""
        out = cls()
        for c in counts:
            for name in vars(out):
                setattr(out, name, getattr(out, name) + getattr(c, name))
        return out


@dataclass
class BatchResult:
    """Per-hut counts of one written batch, and the failures recorded in it."""

    counts: dict[int, HutWriteCounts] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0
    # Wall time of each step, by name (the named query's, or lock / partitions / copy / commit); a
    # step that was skipped is absent. What benchmarks/bench_writer prints per statement.
    step_seconds: dict[str, float] = field(default_factory=dict)

    def total(self) -> HutWriteCounts:
        return HutWriteCounts.sum(self.counts.values())


def staging_row(result: HutFetchResult, night: Night) -> tuple[Any, ...]:
    """One night as a staging row; occupancy comes from hut-services' PlacesSchema."""
    hut = result.hut
    places = night.places
    percent, steps, status = night.occupancy
    return (
        hut.hut_id,
        night.date,
        hut.source_organization_id,
        hut.source_hut_id,
        places.free,
        places.total,
        percent,
        steps,
        status.value,
        night.day_state.reservation_status.value,
        result.link,
        night.hut_type.value,
        night.day_state.value,
        result.received_at,
    )


def copy_rows(conn: psycopg.Connection[Any], rows: Iterable[Sequence[Any]], *, empty_first: bool = False) -> int:
    """COPY staging rows (binary format) into the session's staging table; return how many.
    `empty_first`: the staging tables may hold an earlier batch (no commit has emptied them)."""
    conn.execute(query("write_prepare"))
    if empty_first:
        conn.execute(_EMPTY_STAGING_SQL)
    n = 0
    with conn.cursor().copy(_COPY_SQL) as copy:
        copy.set_types(list(STAGING_TYPES))
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _per_hut(
    conn: psycopg.Connection[Any], name: str, params: Any = None, steps: dict[str, float] | None = None
) -> dict[int, tuple[int, ...]]:
    began = time.perf_counter()
    rows = conn.execute(query(name), params).fetchall()
    if steps is not None:
        steps[name] = time.perf_counter() - began
    return {row[0]: tuple(row[1:]) for row in rows}


def _count(table: dict[int, tuple[int, ...]], hut_id: int, column: int = 0) -> int:
    row = table.get(hut_id)
    return row[column] if row else 0


def stage(result: HutFetchResult) -> list[tuple[Any, ...]]:
    """All staging rows of one successful hut (empty for a failed one). Cheap to call on the
    fetching side so that building rows overlaps with the database work of the previous batch."""
    return [staging_row(result, n) for n in _nights(result)] if result.ok else []


def write_batch(
    conn: psycopg.Connection[Any],
    results: Sequence[HutFetchResult],
    staged: Sequence[list[tuple[Any, ...]]] | None = None,
    *,
    record_status: bool = True,
) -> BatchResult:
    """Store a batch of fetched huts in one transaction: all of it or nothing (inside a caller's
    transaction, a savepoint that commits with it).

    Successful huts update the current state and the history (new hut-dates, changed states,
    last_checked of unchanged ones); failed huts only get their fetch status recorded. Writers of
    the same huts are serialized by a lock on the huts' rows, so overlapping runs never create two
    open states, and a check older than the stored one never overwrites it. Statements whose work
    is known to be empty (no new rows, no changes) are skipped, so a pass in which nothing changed
    costs one COPY and one UPDATE. `staged`, when given, holds `stage(result)` of each result.
    `record_status=False` leaves the huts' fetch status alone (a history import is no fetch).
    """
    started = time.perf_counter()
    out = BatchResult()
    steps = out.step_seconds
    ok = [r for r in results if r.ok]
    rows = (staged if staged is not None else [stage(r) for r in results]) if ok else []
    if ok:  # the history's monthly partitions must exist before its rows arrive (cached per connection)
        began = time.perf_counter()
        ensure_partitions(conn, {row[1] for hut_rows in rows for row in hut_rows})
        steps["partitions"] = time.perf_counter() - began
    # inside a caller's transaction the batch is a savepoint, and no commit has emptied the staging tables
    nested = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        began = time.perf_counter()
        conn.execute(_LOCK_HUTS_SQL, (sorted({r.hut.hut_id for r in results}),))
        steps["lock"] = time.perf_counter() - began
        if ok:
            began = time.perf_counter()
            fetched = copy_rows(conn, (row for hut_rows in rows for row in hut_rows), empty_first=nested)
            steps["copy"] = time.perf_counter() - began
            batch = {"hut_ids": [r.hut.hut_id for r in ok]}
            updated = _per_hut(conn, "write_update_current", batch, steps)
            n_updated = sum(u for u, _ in updated.values())
            inserted = _per_hut(conn, "write_insert_current", batch, steps) if n_updated < fetched else {}
            n_changed = sum(c for _, c in updated.values())
            closed = _per_hut(conn, "write_close_history", batch, steps) if n_changed else {}
            opened = _per_hut(conn, "write_open_history", None, steps) if n_changed else {}
            stored = _per_hut(conn, "write_stored_in_range", _ranges(ok), steps)
            for r in ok:
                hid = r.hut.hut_id
                n = len(_nights(r))
                new, n_upd, changed = _count(inserted, hid), _count(updated, hid), _count(updated, hid, 1)
                out.counts[hid] = HutWriteCounts(
                    fetched=n,
                    new=new,
                    changed=changed,
                    unchanged=n_upd - changed,
                    stale=n - new - n_upd,
                    missing=_count(stored, hid) - n,
                    history_inserted=_count(opened, hid) + new,
                    history_closed=_count(closed, hid),
                )
        for r in results:
            if not r.ok:
                out.failed[r.hut.hut_id] = r.error or "no bookings"
        if record_status:
            began = time.perf_counter()
            record_fetch_status(conn, results)
            steps["write_fetch_status"] = time.perf_counter() - began
        committing = time.perf_counter()
    steps["commit"] = time.perf_counter() - committing
    out.seconds = time.perf_counter() - started
    return out


def _nights(result: HutFetchResult) -> list[Night]:
    assert result.nights is not None
    return result.nights


def _ranges(ok: Sequence[HutFetchResult]) -> dict[str, list[Any]]:
    hut_ids, starts, ends = [], [], []
    for r in ok:
        assert r.start_date is not None
        hut_ids.append(r.hut.hut_id)
        starts.append(r.start_date)
        ends.append(r.start_date + dt.timedelta(days=r.days))
    return {"hut_ids": hut_ids, "starts": starts, "ends": ends}


MAX_ERROR_CHARS = 2000


def storable_text(text: str) -> str:
    """A provider-derived message as PostgreSQL text can hold it: NUL bytes (which garbage answers
    may carry into an error message, and which would fail the whole batch) escaped, length capped."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def record_fetch_status(conn: psycopg.Connection[Any], results: Sequence[HutFetchResult]) -> None:
    """Record each hut's attempt in hut_fetch_status (success resets, failure counts up)."""
    params = [
        {
            "hut_id": r.hut.hut_id,
            "attempted_at": r.received_at,
            "ok": r.ok,
            "error": None if r.ok else storable_text(r.error or "no bookings"),
            "rows": len(r.nights) if r.ok and r.nights is not None else None,
            "rejected_days": len(r.rejected_days),
        }
        for r in results
    ]
    with conn.cursor() as cur:
        cur.executemany(query("write_fetch_status"), params)
