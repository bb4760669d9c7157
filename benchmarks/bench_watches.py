"""Evaluating watches against one refresh batch's changes (target: under 100 ms of database time).

Builds a database with the packaged catalog (567 huts), 60 nights of states for every bookable
hut, and 10,000 watches (70 % hut watches, 30 % tours of 2-4 huts; random windows, nights and
beds). Then one refresh batch (50 huts, a tenth of their nights changed) is written and
`evaluate_changes` runs: it finds the watches those changes touch and evaluates them in one
transaction (the outbox included). Each batch changes only its own huts' nights (a tenth of
them), so every batch touches about as many watches.

Printed per batch: how many watches were touched and fired, and where the time of
`evaluate_changes` goes:
* database time: the wall time of its statements' round trips (psycopg's execute: sending the
  statement, the server's work, receiving the result), measured by a timing cursor on the
  connection; this is the figure the target is about. It includes the socket (a local unix
  socket here) and the server's planning, not the decoding of rows into Python objects;
* decoding: turning the results into Python rows (fetch);
* the rest: the rules in Python (options, decide, messages) and the glue;
* the whole: wall time of the call, an upper bound of all of these.

The machine is shared (2 cores, several processes), so round trips also hold time the server
process spent waiting for a CPU. Where the server runs here (the embedded one, or a local
DATABASE_URL), its backend's /proc/PID/schedstat gives, in nanoseconds, how long it actually ran
on a CPU during the call and how long it waited in the run queue: the first is the server's own
work, independent of the load; printed as "server CPU time".

    .venv/bin/python -m benchmarks.bench_watches [--watches 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from typing import Any

import psycopg

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.domain.watches import WatchKind, WatchSpec
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.watches.evaluation import evaluate, evaluate_changes

from .bench_engine import drop_database, fresh_database, make_results

DAYS = 60
BATCH = 50


class TimedCursor(psycopg.Cursor[Any]):
    """A cursor that adds the time of its round trips and of its row decoding to two counters."""

    database = 0.0
    decoding = 0.0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return super().execute(*args, **kwargs)
        finally:
            TimedCursor.database += time.perf_counter() - t

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return super().executemany(*args, **kwargs)
        finally:
            TimedCursor.database += time.perf_counter() - t

    def fetchone(self) -> Any:
        t = time.perf_counter()
        try:
            return super().fetchone()
        finally:
            TimedCursor.decoding += time.perf_counter() - t

    def fetchall(self) -> Any:
        t = time.perf_counter()
        try:
            return super().fetchall()
        finally:
            TimedCursor.decoding += time.perf_counter() - t

    @classmethod
    def reset(cls) -> None:
        cls.database = cls.decoding = 0.0


def backend_schedstat(conn: psycopg.Connection[Any]) -> tuple[float, float] | None:
    """(ms on a CPU, ms waiting for one) of the connection's server process so far, or None when
    the server does not run on this machine (its /proc entry is not there)."""
    try:
        with open(f"/proc/{conn.info.backend_pid}/schedstat") as f:
            on_cpu, waiting, _ = f.read().split()
    except OSError:
        return None
    return int(on_cpu) / 1e6, int(waiting) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--overlap-minutes",
        type=float,
        default=0.0,
        help="re-read changes this long before the last evaluation (production: 15; the bench's batches"
        " are seconds apart, so with 15 every batch would include the earlier ones)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    args.overlap = dt.timedelta(minutes=args.overlap_minutes)
    rng = random.Random(11)
    db = fresh_database("hut_availability_bench_watches")
    today = dt.date.today()
    start = today + dt.timedelta(days=7)
    try:
        with db.connect() as conn:
            load_huts(conn, catalog_records())
            huts = bookable_huts(conn)
            at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # before the overlap of the batches
            results, base = make_results(huts, start, DAYS, rng, at)
            for i in range(0, len(results), BATCH):
                write_batch(conn, results[i : i + BATCH])
            ids = [h.hut_id for h in huts]
            with conn.transaction(), conn.cursor() as cur:
                for n in range(args.watches):
                    first = start + dt.timedelta(days=rng.randrange(DAYS - 20))
                    if n % 10 < 7:
                        nights = rng.choice((1, 1, 2, 3))
                        last = first + dt.timedelta(days=nights - 1 + rng.randrange(14))
                        spec = WatchSpec(WatchKind.hut, (rng.choice(ids),), first, last, nights, rng.randint(1, 6))
                    else:
                        tour = tuple(rng.sample(ids, rng.randint(2, 4)))
                        spec = WatchSpec(WatchKind.tour, tour, first, first + dt.timedelta(days=rng.randrange(7)))
                        spec = WatchSpec(WatchKind.tour, tour, spec.date_from, spec.date_to, 1, rng.randint(1, 4))
                    row = cur.execute(
                        "INSERT INTO watches (kind, date_from, date_to, nights, beds, notify_url, created_at)"
                        " VALUES (%s, %s, %s, %s, %s, 'json://127.0.0.1:9/x', now() - interval '1 day') RETURNING id",
                        (spec.kind.value, spec.date_from, spec.date_to, spec.nights, spec.beds),
                    ).fetchone()
                    assert row is not None
                    cur.executemany(
                        "INSERT INTO watch_huts VALUES (%s, %s, %s, %s, %s)", [(row[0], *h) for h in spec.hut_nights()]
                    )
            conn.execute("ANALYZE")
            t = time.perf_counter()
            first_pass = evaluate(conn, today)
            print(
                f"all {first_pass.evaluated} watches evaluated once: {first_pass.fired} fired,"
                f" {(time.perf_counter() - t) * 1000:.0f} ms"
            )
            t = time.perf_counter()
            again = evaluate_changes(conn, today)  # the first call: every active watch; sets the cursor
            print(
                f"all {again.evaluated} watches evaluated again (their {first_pass.fired} notifications in the"
                f" outbox): {again.fired} fired, {(time.perf_counter() - t) * 1000:.0f} ms"
            )
            totals, database, decoding, server_cpu, server_wait, touched, fired = [], [], [], [], [], [], []
            for _ in range(args.repeat):
                batch_huts = rng.sample(huts, BATCH)
                # Only the batch's huts change: a change to another hut would never be written,
                # yet stay in `base` and count as a change when that hut is in a later batch (the
                # watches touched grew from batch to batch, 553 -> 1,096, until this was fixed).
                in_batch = {h.hut_id for h in batch_huts}
                changed = {
                    k: (v + rng.randint(1, 9) if k[0] in in_batch and rng.random() < 0.1 else v)
                    for k, v in base.items()
                }
                at = dt.datetime.now(dt.UTC)
                batch, base = make_results(batch_huts, start, DAYS, rng, at, changed)
                write_batch(conn, batch)
                conn.cursor_factory = TimedCursor
                TimedCursor.reset()
                before = backend_schedstat(conn)
                t = time.perf_counter()
                result = evaluate_changes(conn, today, args.overlap)
                totals.append((time.perf_counter() - t) * 1000)
                after = backend_schedstat(conn)
                if before is not None and after is not None:
                    server_cpu.append(after[0] - before[0])
                    server_wait.append(after[1] - before[1])
                conn.cursor_factory = psycopg.Cursor
                database.append(TimedCursor.database * 1000)
                decoding.append(TimedCursor.decoding * 1000)
                touched.append(result.evaluated)
                fired.append(result.fired)
        print(
            f"{args.watches} watches over {len(huts)} huts; one refresh batch of {BATCH} huts x {DAYS} nights"
            f" (a tenth changed), {args.repeat} batches"
        )
        print(f"watches touched per batch: {touched}; fired: {fired}")
        for label, values in (
            ("database time (its statements' round trips)", database),
            ("  server CPU time (its backend on a CPU)", server_cpu),
            ("  server waiting for a CPU (the machine's load)", server_wait),
            ("decoding rows into Python", decoding),
            ("the rules in Python and the rest", [t - d - c for t, d, c in zip(totals, database, decoding)]),  # noqa: B905
            ("evaluate_changes, whole (wall)", totals),
        ):
            if values:
                print(f"{label}: median {statistics.median(values):.1f} ms, max {max(values):.1f} ms")
        for label, values in (("server CPU time", server_cpu), ("database time (round trips)", database)):
            if values:
                met = statistics.median(values) < 100
                print(f"target: {label} under 100 ms (median): {'met' if met else 'NOT met'}")
        print(
            f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (on {os.cpu_count()} CPUs)"
        )
    finally:
        if not args.keep:
            drop_database(db)


if __name__ == "__main__":
    main()
