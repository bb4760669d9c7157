"""Where the database time of the batched writer goes, statement by statement.

The simulator's answers of `--huts` huts (frozen clock, every day the site serves, ~425 per hut)
are fetched and parsed once, before any clock starts; then `storage.writer.write_batch` stores
them in batches of 20 huts, as the engine does, in passes:

- first load: the tables emptied before the pass, every hut-date new;
- unchanged: the same answers one hour later, every hut-date confirmed, nothing changed.

For each pass the median over `--repeat` runs of each step's time per batch (BatchResult's
step_seconds: the huts' lock, partitions, the staging COPY, each named query, the fetch status,
the commit) is printed in ms per batch and per hut, and the writer's total against the bare
COPY of the same staging rows (binary) into an unindexed temporary table, one transaction per
batch: the least any writer of these rows must do on the database side.

    .venv/bin/python -m benchmarks.bench_writer [--huts 100] [--repeat 3] [--without-foreign-keys]

--without-foreign-keys drops the three foreign keys of hut_availability and its history before
the passes, to show what their checks cost (migration 0006 keeps them; this is a measurement).

Uses the embedded server (database `hut_availability_bench_writer`, recreated) or DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.domain.bookings import HutFetchResult
from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.refresh import DEFAULT_BATCH_SIZE
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.writer import STAGING_TYPES, stage, write_batch

from .bench_engine import fresh_database

BENCH_DATABASE = "hut_availability_bench_writer"
START = dt.datetime(2026, 7, 24, 6, 0, tzinfo=dt.UTC)
BATCH = DEFAULT_BATCH_SIZE  # what a refresh writes per transaction unless configured otherwise
STEPS = ("partitions", "lock", "copy", "write_update_current", "write_insert_current", "write_close_history",
         "write_open_history", "write_stored_in_range", "write_fetch_status", "commit")  # fmt: skip


def fetch(db: Database, n: int) -> list[HutFetchResult]:
    with db.connect() as conn:
        load_huts(conn, catalog_records())
        huts = bookable_huts(conn)[:n]
    with SimulatorServer(SimulatorConfig(seed=1, start=START, speed=0.0), host="127.0.0.1", port=0) as server:
        server.simulator.warm()
        service = HutReservationService(base_url=server.base_url, request_interval=0)
        results = list(service.iter_bookings(huts, server.simulator.now().date(), None, 0))
        service.close()
    failed = [r.error for r in results if not r.ok]
    assert not failed, failed
    return results


def batches_of(results: Sequence[HutFetchResult], later: dt.timedelta) -> list[list[HutFetchResult]]:
    moved = [dataclasses.replace(r, received_at=r.received_at + later) for r in results]
    return [moved[i : i + BATCH] for i in range(0, len(moved), BATCH)]


def writer_pass(db: Database, batches: list[list[HutFetchResult]]) -> tuple[float, dict[str, float]]:
    """Seconds per batch (median) and each step's median seconds per batch."""
    staged = [[stage(r) for r in batch] for batch in batches]  # built on the engine's fetching side
    totals, steps = [], defaultdict(list)
    with db.connect() as conn:
        for batch, rows in zip(batches, staged, strict=True):
            out = write_batch(conn, batch, rows)
            totals.append(out.seconds)
            for name, seconds in out.step_seconds.items():
                steps[name].append(seconds)
    return statistics.median(totals), {name: statistics.median(s) for name, s in steps.items()}


def bare_pass(db: Database, batches: list[list[HutFetchResult]]) -> float:
    """Median seconds per batch of a binary COPY of the same staging rows into an unindexed table."""
    staged = [[row for r in batch for row in stage(r)] for batch in batches]
    totals = []
    with db.connect() as conn:
        conn.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS bare_rows (hut_id int4, availability_date date,"
            " source_organization_id int4, source_hut_id text, free int4, total int4, occupancy_percent float8,"
            " occupancy_steps int2, occupancy_status text, reservation_status text, link text, hut_type text,"
            " day_state text, checked_at timestamptz) ON COMMIT DELETE ROWS"
        )
        conn.commit()
        for rows in staged:
            began = time.perf_counter()
            with conn.transaction(), conn.cursor().copy("COPY bare_rows FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(list(STAGING_TYPES))
                for row in rows:
                    copy.write_row(row)
            totals.append(time.perf_counter() - began)
    return statistics.median(totals)


def clear(db: Database) -> None:
    with db.connect() as conn:
        conn.execute("TRUNCATE hut_availability, hut_availability_history, hut_fetch_status")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--huts", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pass (medians are used)")
    parser.add_argument("--without-foreign-keys", action="store_true")
    args = parser.parse_args(argv)

    db = fresh_database(BENCH_DATABASE, foreign_keys=not args.without_foreign_keys)
    results = fetch(db, args.huts)
    first, same = batches_of(results, dt.timedelta(0)), batches_of(results, dt.timedelta(hours=1))
    per_batch = statistics.median(len(b) for b in first)
    days = sum(len(r.nights or ()) for r in results)
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {"first load": [], "unchanged": []}
    bare: list[float] = []
    for _ in range(args.repeat):
        clear(db)
        runs["first load"].append(writer_pass(db, first))
        runs["unchanged"].append(writer_pass(db, same))
        bare.append(bare_pass(db, first))

    def ms_hut(seconds: float) -> float:
        return seconds * 1000 / per_batch

    bare_s = statistics.median(bare)
    keys = "without foreign keys" if args.without_foreign_keys else "with the foreign keys of 0006"
    print(f"database: {db.describe()}; {keys}; {len(results)} huts, {days} hut-dates ({days / len(results):.0f}"
          f" per hut), batches of {BATCH} huts; medians of {args.repeat} passes of each batch")  # fmt: skip
    print(f"{'step':<24} " + " ".join(f"{name + ' ms/batch':>22} {'ms/hut':>7}" for name in runs))
    medians: dict[str, dict[str, Any]] = {}
    for name, passes in runs.items():
        medians[name] = {"total": statistics.median(t for t, _ in passes)}
        for step in STEPS:
            values = [s[step] for _, s in passes if step in s]
            medians[name][step] = statistics.median(values) if values else None
    for step in (*STEPS, "total"):
        cells = []
        for name in runs:
            v = medians[name][step]
            cells.append(f"{'skipped':>22} {'':>7}" if v is None else f"{v * 1000:22.2f} {ms_hut(v):7.2f}")
        print(f"{step:<24} " + " ".join(cells))
    print(f"{'bare COPY':<24} {bare_s * 1000:22.2f} {ms_hut(bare_s):7.2f}")
    print("writer / bare COPY: " + "; ".join(f"{name} {medians[name]['total'] / bare_s:.1f}x" for name in runs))


if __name__ == "__main__":
    main()
