"""What the freshness notices add to the map and hut pages (web/pages.py `_freshness`): reading
every active bookable hut's fetch status and tier occupancy (the refresh selection's query) and
deciding the notices, on the packaged catalog (567 huts) with 60 nights of states for every
bookable hut. Also the e-mail alert submission's database work (storage/subscriptions.subscribe:
purge, limits, the pending watch and its confirmation in the outbox, in one transaction).

    .venv/bin/python -m benchmarks.bench_freshness [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.domain.freshness import source_notices
from hut_availability_pipeline.domain.tiers import TierPolicy
from hut_availability_pipeline.domain.watches import WatchKind, WatchSpec
from hut_availability_pipeline.storage.freshness import fetch_states, source_names
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.subscriptions import subscribe
from hut_availability_pipeline.storage.writer import write_batch

from .bench_engine import drop_database, fresh_database, make_results

DAYS = 60
BATCH = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    db = fresh_database("hut_availability_bench_freshness")
    try:
        now = dt.datetime.now(dt.UTC)
        start = now.date()
        with db.connect() as conn:
            load_huts(conn, catalog_records())
            huts = bookable_huts(conn)
            results, _ = make_results(huts, start, DAYS, random.Random(7), now - dt.timedelta(hours=2))
            for i in range(0, len(results), BATCH):
                write_batch(conn, results[i : i + BATCH])
            policy = TierPolicy()
            timings = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                states = fetch_states(conn, policy, now, "Europe/Zurich")
                notices = source_notices(states, policy, now, source_names(conn))
                timings.append(time.perf_counter() - t)
            print(
                f"freshness of {len(states)} huts ({DAYS} nights each): {len(notices)} notice(s);"
                f" median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms"
                f" over {args.repeat} runs"
            )
            submissions = []
            for i in range(args.repeat):
                spec = WatchSpec(WatchKind.hut, (huts[i].hut_id,), start, start + dt.timedelta(days=3), beds=2)
                t = time.perf_counter()
                subscribe(conn, spec, f"hiker{i}@example.org", f"client{i}", confirm_token=f"c{i:030d}",
                          unsubscribe_token=f"u{i:030d}", title="Confirm", body="Open the link")  # fmt: skip
                submissions.append(time.perf_counter() - t)
            print(
                f"alert submission (one transaction): median {statistics.median(submissions) * 1000:.1f} ms,"
                f" max {max(submissions) * 1000:.1f} ms over {args.repeat} runs"
            )
    finally:
        drop_database(db)


if __name__ == "__main__":
    main()
