"""Database cost of the engine for 150 huts × 365 days (~55k rows), against a bare COPY.

Prints, in seconds and as a ratio to a bare COPY of the same rows into a temporary table
measured in the same run: the first load, a pass with nothing changed, and a pass with 2 %
changed, plus rows written to the history table per pass.

    .venv/bin/python -m benchmarks.bench_engine [--huts 150] [--days 365] [--repeat 3]

Uses the embedded server (its own database `hut_availability_bench`, recreated) or DATABASE_URL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

import psycopg
from psycopg import conninfo, sql

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.domain.bookings import (
    HutBookingSchema,
    HutBookingsSchema,
    HutFetchResult,
    HutRef,
    HutTypeEnum,
    PlacesSchema,
    ReservationStatusEnum,
)
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts
from hut_availability_pipeline.storage.sqlfiles import query
from hut_availability_pipeline.storage.writer import STAGING_COLUMNS, copy_rows, stage, staging_row, write_batch

BENCH_DATABASE = "hut_availability_bench"


def fresh_database() -> Database:
    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
    db = Database(conninfo.make_conninfo(server, dbname=BENCH_DATABASE))
    migrate(db)
    return db


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
                )
            )
        results.append(
            HutFetchResult(
                hut=hut,
                received_at=at,
                bookings=HutBookingsSchema(source_id=hut.source_hut_id, start_date=start, days=days, bookings=bookings),
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
    rows = [staging_row(r, b) for r in results for b in r.bookings.bookings]  # type: ignore[union-attr]
    with db.connect() as conn:
        started = time.perf_counter()
        with conn.transaction():
            copy_rows(conn, rows)
        return time.perf_counter() - started


def bare_text_copy(db: Database, results: list[HutFetchResult]) -> float:
    """psycopg's default COPY (text format) of the same rows into a temporary table."""
    rows = [staging_row(r, b) for r in results for b in r.bookings.bookings]  # type: ignore[union-attr]
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--huts", type=int, default=150)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--change-fraction", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=3, help="bare COPY runs (median is used)")
    args = parser.parse_args(argv)

    db = fresh_database()
    rng = random.Random(42)
    with db.connect() as conn:
        records = [
            HutRecord(source="hrs", source_hut_id=str(i), slug=f"bench-{i}", name=f"Bench {i}")
            for i in range(1, args.huts + 1)
        ]
        load_huts(conn, records)
        huts = bookable_huts(conn)
    start = dt.date(2026, 1, 1)
    t0 = dt.datetime(2026, 1, 1, 6, tzinfo=dt.UTC)
    first, state = make_results(huts, start, args.days, rng, t0)
    rows = sum(len(r.bookings.bookings) for r in first)  # type: ignore[union-attr]
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

    print(f"database: {db.describe()}")
    print(f"rows per pass: {rows} ({args.huts} huts × {args.days} days), batch size {args.batch_size}")
    print(f"bare COPY into a temporary table, binary (as the engine): {copy_s:.3f} s (median of {args.repeat})")
    print(f"bare COPY into a temporary table, text (psycopg default): {text_s:.3f} s (median of {args.repeat})")
    print(f"{'pass':<20} {'seconds':>8} {'× binary COPY':>14} {'× text COPY':>12} {'history rows':>13}")
    for name, seconds, hist in passes:
        print(f"{name:<20} {seconds:8.3f} {seconds / copy_s:14.2f} {seconds / text_s:12.2f} {hist:13d}")
    print(f"changed hut-dates in the last pass: {len(keys)}")


if __name__ == "__main__":
    main()
