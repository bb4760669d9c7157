"""Evaluating watches against one refresh batch's changes (target: under 100 ms of database time).

Builds a database with the packaged catalog (567 huts), 60 nights of states for every bookable
hut, and 10,000 watches (70 % hut watches, 30 % tours of 2-4 huts; random windows, nights and
beds). Then one refresh batch (50 huts, a tenth of their nights changed) is written and
`evaluate_changes` runs: it finds the watches those changes touch and evaluates them in one
transaction (the outbox included). Printed: how many watches were touched and fired, the wall
time of the whole evaluation (an upper bound of its database time), and of its two queries alone.

    .venv/bin/python -m benchmarks.bench_watches [--watches 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from hut_availability_pipeline.domain.watches import WatchKind, WatchSpec
from hut_availability_pipeline.storage.huts import bookable_huts, catalog_records, load_huts
from hut_availability_pipeline.storage.sqlfiles import query
from hut_availability_pipeline.storage.watches import changed_watch_ids, evaluate, evaluate_changes
from hut_availability_pipeline.storage.writer import write_batch

from .bench_engine import drop_database, fresh_database, make_results

DAYS = 60
BATCH = 50


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
            evaluate_changes(conn, today)  # sets the cursor
            totals, queries, touched, fired = [], [], [], []
            for _ in range(args.repeat):
                batch_huts = rng.sample(huts, BATCH)
                changed = {k: (v + rng.randint(1, 9) if rng.random() < 0.1 else v) for k, v in base.items()}
                at = dt.datetime.now(dt.UTC)
                batch, base = make_results(batch_huts, start, DAYS, rng, at, changed)
                since = conn.execute("SELECT changes_since FROM watch_evaluation").fetchone()[0]  # type: ignore[index]
                write_batch(conn, batch)
                t = time.perf_counter()
                ids_touched = changed_watch_ids(conn, since - args.overlap, today)
                conn.execute(query("watch_nights"), {"watch_ids": ids_touched, "today": today}).fetchall()
                queries.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                result = evaluate_changes(conn, today, args.overlap)
                totals.append((time.perf_counter() - t) * 1000)
                touched.append(result.evaluated)
                fired.append(result.fired)
        print(
            f"{args.watches} watches over {len(huts)} huts; one refresh batch of {BATCH} huts x {DAYS} nights"
            f" (a tenth changed), {args.repeat} batches"
        )
        print(f"watches touched per batch: {touched}; fired: {fired}")
        print(
            f"evaluate_changes (whole transaction, wall): median {statistics.median(totals):.1f} ms,"
            f" max {max(totals):.1f} ms"
        )
        print(
            f"  its queries alone (changed watches + their nights): median {statistics.median(queries):.1f} ms,"
            f" max {max(queries):.1f} ms"
        )
    finally:
        if not args.keep:
            drop_database(db)


if __name__ == "__main__":
    main()
