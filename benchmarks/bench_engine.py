"""Database cost of the engine for 150 huts × 365 days (~55k rows), against a bare COPY.

Prints, in seconds and as a ratio to a bare COPY of the same rows into a temporary table
measured in the same run: the first load, a pass with nothing changed, and a pass with 2 %
changed, plus rows written to the history table per pass; then whether the targets are met
(first load < 2 s and <= 3x the bare COPY; unchanged pass <= 2x with no history row written).

The bare COPY is `COPY ... FROM STDIN` with its defaults (text format), rows written by psycopg.
Two more figures put the ratios in context: the same COPY in binary format (what the engine
itself uses to stage rows; about 4x faster, so ratios to it are about 4x larger), and the floor:
the rows COPYed straight into hut_availability and the history with no change detection at all,
which is the least any writer of this schema must do for a first load.

    .venv/bin/python -m benchmarks.bench_engine [--huts 150] [--days 365] [--repeat 3] [--without-foreign-keys]

--without-foreign-keys drops the foreign keys of hut_availability and its history (to huts and
booking sources) before the passes, in both databases, to show what their checks cost.

Uses the embedded server (its own databases `hut_availability_bench` and `..._floor`, recreated)
or DATABASE_URL's server. Rows are built before the clock starts (the engine builds them on its
fetching side, overlapped with the previous batch's writes); the clock covers database work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import operator
import random
import statistics
import time

import psycopg
from psycopg import conninfo, sql

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.domain.bookings import (
    DayState,
    HutBookingSchema,
    HutBookingsSchema,
    HutFetchResult,
    HutRef,
    HutTypeEnum,
    PlacesSchema,
    ReservationStatusEnum,
)
from hut_availability_pipeline.refresh import DEFAULT_BATCH_SIZE
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts
from hut_availability_pipeline.storage.retention import ensure_partitions
from hut_availability_pipeline.storage.sqlfiles import query
from hut_availability_pipeline.storage.writer import (
    STAGING_COLUMNS,
    STAGING_TYPES,
    copy_rows,
    stage,
    staging_row,
    write_batch,
)

BENCH_DATABASE = "hut_availability_bench"


# The keys whose checks --without-foreign-keys takes out (migration 0006).
FOREIGN_KEYS = (
    ("hut_availability", "hut_availability_hut_id_fkey"),
    ("hut_availability", "hut_availability_source_organization_id_fkey"),
    ("hut_availability_history", "hut_availability_history_hut_id_fkey"),
)


def fresh_database(name: str = BENCH_DATABASE, *, foreign_keys: bool = True) -> Database:
    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(conninfo.make_conninfo(server, dbname=name))
    migrate(db)
    if not foreign_keys:
        with db.connect() as conn:
            for table, key in FOREIGN_KEYS:
                conn.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(key))
                )
    return db


def drop_database(db: Database) -> None:
    params = conninfo.conninfo_to_dict(db.conninfo)
    name = params.pop("dbname")
    with psycopg.connect(conninfo.make_conninfo(**params), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))


def bench_huts(db: Database, n: int) -> list[HutRef]:
    records = [
        HutRecord(source="hrs", source_hut_id=str(i), slug=f"bench-{i}", name=f"Bench {i}") for i in range(1, n + 1)
    ]
    with db.connect() as conn:
        load_huts(conn, records)
        return bookable_huts(conn)


def make_results(huts: list[HutRef], start: dt.date, days: int, rng: random.Random, at: dt.datetime,
                 base: dict[tuple[int, int], int] | None = None) -> tuple[list[HutFetchResult], dict]:  # fmt: skip
    """Synthetic answers; `base` holds free places per (hut, day) so a pass can repeat or vary them."""
    state = dict(base or {})
    results = []
    for hut in huts:
        bookings = []
        for d in range(days):
            key = (hut.hut_id, d)
            if key not in state:
                state[key] = rng.randint(0, 60)
            free = state[key]
            bookings.append(
                HutBookingSchema(
                    date=start + dt.timedelta(days=d),
                    reservation_status=ReservationStatusEnum.possible if free else ReservationStatusEnum.not_possible,
                    unattended=False,
                    places=PlacesSchema(free=free, total=60),
                    link=f"https://example.org/{hut.source_hut_id}",
                    hut_type=HutTypeEnum.hut,
                    day_state=DayState.bookable if free else DayState.full,
                )
            )
        results.append(
            HutFetchResult.of_bookings(
                hut, at, HutBookingsSchema(source_id=hut.source_hut_id, start_date=start, days=days, bookings=bookings)
            )
        )
    return results, state


def history_rows(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute("SELECT count(*) FROM hut_availability_history").fetchone()[0])  # type: ignore[index]


def write_all(db: Database, results: list[HutFetchResult], batch_size: int) -> float:
    """Database time of a pass: the engine builds staging rows on its fetching side (overlapped with
    the previous batch's writes), so they are built before the clock starts, as for the bare COPY."""
    staged = [stage(r) for r in results]
    with db.connect() as conn:
        started = time.perf_counter()
        for i in range(0, len(results), batch_size):
            write_batch(conn, results[i : i + batch_size], staged[i : i + batch_size])
        return time.perf_counter() - started


def bare_copy(db: Database, results: list[HutFetchResult]) -> float:
    """The engine's own COPY (binary) of the same rows into the temporary staging table."""
    rows = [staging_row(r, n) for r in results for n in r.nights or []]
    with db.connect() as conn:
        started = time.perf_counter()
        with conn.transaction():
            copy_rows(conn, rows)
        return time.perf_counter() - started


def bare_text_copy(db: Database, results: list[HutFetchResult]) -> float:
    """psycopg's default COPY (text format) of the same rows into a temporary table."""
    rows = [staging_row(r, n) for r in results for n in r.nights or []]
    with db.connect() as conn:
        conn.execute(query("write_prepare"))
        started = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor().copy(f"COPY incoming_availability ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return time.perf_counter() - started


# The floor writes the staging rows as they are, checked_at becoming first_checked (and, in the
# current table, last_checked too).
_CURRENT_COLUMNS = [*STAGING_COLUMNS[:-1], "first_checked", "last_checked"]
_HISTORY_FROM_STAGING = ("hut_id", "availability_date", "free", "total", "occupancy_percent", "hut_type",
                         "reservation_status", "checked_at")  # fmt: skip
_HISTORY_INDEXES = [STAGING_COLUMNS.index(c) for c in _HISTORY_FROM_STAGING]
_history_row = operator.itemgetter(*_HISTORY_INDEXES)
_HISTORY_COLUMNS = [*_HISTORY_FROM_STAGING[:-1], "first_checked"]
_FLOOR_CURRENT = f"COPY hut_availability ({', '.join(_CURRENT_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_FLOOR_HISTORY = f"COPY hut_availability_history ({', '.join(_HISTORY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"


def floor_copy(results: list[HutFetchResult], batch_size: int, *, foreign_keys: bool = True) -> float:
    """The least any writer of this schema must do for a first load: the same rows COPYed (binary)
    straight into hut_availability and hut_availability_history, one transaction per batch, with
    no change detection. Measured in a database of its own (same schema, same huts)."""
    db = fresh_database(BENCH_DATABASE + "_floor", foreign_keys=foreign_keys)
    try:
        huts = {h.source_hut_id: h for h in bench_huts(db, len(results))}
        staged = [[(huts[r.hut.source_hut_id].hut_id, *row[1:]) for row in stage(r)] for r in results]
        with db.connect() as conn:
            ensure_partitions(conn, {row[1] for hut_rows in staged for row in hut_rows})
            started = time.perf_counter()
            for i in range(0, len(staged), batch_size):
                batch = [row for hut_rows in staged[i : i + batch_size] for row in hut_rows]
                with conn.transaction(), conn.cursor() as cur:
                    with cur.copy(_FLOOR_CURRENT) as copy:
                        copy.set_types([*STAGING_TYPES, STAGING_TYPES[-1]])
                        for row in batch:
                            copy.write_row((*row, row[-1]))
                    with cur.copy(_FLOOR_HISTORY) as copy:
                        copy.set_types([STAGING_TYPES[i] for i in _HISTORY_INDEXES])
                        for row in batch:
                            copy.write_row(_history_row(row))
            return time.perf_counter() - started
    finally:
        drop_database(db)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--huts", type=int, default=150)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--change-fraction", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=3, help="bare COPY runs (median is used)")
    parser.add_argument("--without-foreign-keys", action="store_true", help="drop the keys of both tables first")
    args = parser.parse_args(argv)

    db = fresh_database(foreign_keys=not args.without_foreign_keys)
    rng = random.Random(42)
    huts = bench_huts(db, args.huts)
    start = dt.date(2026, 1, 1)
    t0 = dt.datetime(2026, 1, 1, 6, tzinfo=dt.UTC)
    first, state = make_results(huts, start, args.days, rng, t0)
    rows = sum(len(r.nights or []) for r in first)
    copy_s = statistics.median(bare_copy(db, first) for _ in range(args.repeat))
    text_s = statistics.median(bare_text_copy(db, first) for _ in range(args.repeat))

    passes: list[tuple[str, float, int]] = []
    before = history_rows(db)
    passes.append(("first load", write_all(db, first, args.batch_size), history_rows(db) - before))

    same, _ = make_results(huts, start, args.days, rng, t0 + dt.timedelta(minutes=30), state)
    before = history_rows(db)
    passes.append(("unchanged pass", write_all(db, same, args.batch_size), history_rows(db) - before))

    varied = dict(state)
    keys = rng.sample(sorted(varied), int(len(varied) * args.change_fraction))
    for key in keys:
        varied[key] = (varied[key] + rng.randint(1, 10)) % 61
    changed, _ = make_results(huts, start, args.days, rng, t0 + dt.timedelta(minutes=60), varied)
    before = history_rows(db)
    label = f"{args.change_fraction:.0%} changed pass"
    passes.append((label, write_all(db, changed, args.batch_size), history_rows(db) - before))

    floor_s = floor_copy(
        first, args.batch_size, foreign_keys=not args.without_foreign_keys
    )  # after the passes: its writes must not slow them down

    print(
        f"database: {db.describe()}" + (" (foreign keys of both tables dropped)" if args.without_foreign_keys else "")
    )
    print(f"rows per pass: {rows} ({args.huts} huts × {args.days} days), batch size {args.batch_size}")
    print(f"bare COPY into a temporary table (COPY's default text format): {text_s:.3f} s (median of {args.repeat})")
    print(f"the same in binary format (how the engine stages its rows):    {copy_s:.3f} s (median of {args.repeat})")
    print(f"floor: the rows COPYed (binary) straight into both tables, no change detection: {floor_s:.3f} s")
    print(f"{'pass':<20} {'seconds':>8} {'× bare COPY':>12} {'× binary COPY':>14} {'× floor':>8} {'history rows':>13}")
    for name, s, hist in passes:
        print(f"{name:<20} {s:8.3f} {s / text_s:12.2f} {s / copy_s:14.2f} {s / floor_s:8.2f} {hist:13d}")
    print(f"changed hut-dates in the last pass: {len(keys)}")
    (_, first_s, _), (_, same_s, same_hist), _ = passes
    verdicts = [
        ("first load < 2 s", first_s < 2),
        ("first load <= 3x bare COPY", first_s <= 3 * text_s),
        ("unchanged pass <= 2x bare COPY", same_s <= 2 * text_s),
        ("unchanged pass writes no history", same_hist == 0),
    ]
    print("targets: " + "; ".join(f"{name}: {'ok' if met else 'NOT MET'}" for name, met in verdicts))


if __name__ == "__main__":
    main()
