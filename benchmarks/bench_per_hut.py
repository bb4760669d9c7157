"""Cost per hut of `update` end to end, against the bare fetch + decode + COPY of the same answers.

Both paths ask the simulator on 127.0.0.1 (frozen clock, no request interval) for the same huts'
whole answers and store every day the site serves:

- engine: `engine.run_update` as the CLI and Dagster call it (HTTP, JSON decoding, the parser's
  rules, hut-services' places and occupancy, staging rows, the batched writer with change
  detection and history), a first load and then a pass in which nothing changed;
- bare: one HTTP GET per hut, the JSON decoded, and its days COPYed (binary) as
  (hut, date, free, total, status) into a temporary table, one transaction per 20 huts: the least
  any tracker of this site must do.

Each path runs for `--small` and `--large` huts; the cost per hut is the difference divided by
the difference in huts, so start-up and fixed costs cancel. Printed: ms per hut for each path and
pass, and the ratio engine / bare (the target is at most 2).

    .venv/bin/python -m benchmarks.bench_per_hut [--small 10] [--large 150] [--repeat 3]

Uses the embedded server (databases `hut_availability_bench_hut`, recreated) or DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Sequence

import httpx
import orjson

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.domain.bookings import HutRef
from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.refresh import DEFAULT_BATCH_SIZE
from hut_availability_pipeline.refresh.engine import run_update
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts

from .bench_engine import fresh_database

BENCH_DATABASE = "hut_availability_bench_hut"
START = dt.datetime(2026, 7, 24, 6, 0, tzinfo=dt.UTC)
BATCH = DEFAULT_BATCH_SIZE  # what a refresh writes per transaction unless configured otherwise
_BARE_COPY = "COPY bare_days (hut_id, day, free, total, status) FROM STDIN (FORMAT BINARY)"


def engine_pass(db: Database, base_url: str, huts: Sequence[HutRef], start: dt.date) -> float:
    service = HutReservationService(base_url=base_url, request_interval=0)
    began = time.perf_counter()
    report = run_update(db, service, huts, start=start, batch_size=BATCH)
    seconds = time.perf_counter() - began
    service.close()
    assert not report.failed, [o.error for o in report.failed]
    return seconds


def bare_pass(db: Database, base_url: str, huts: Sequence[HutRef]) -> float:
    url = f"{base_url}/api/v1/reservation/getHutAvailability"
    began = time.perf_counter()
    with httpx.Client(timeout=20) as client, db.connect() as conn:
        conn.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS bare_days"
            " (hut_id int, day text, free int, total int, status text) ON COMMIT DELETE ROWS"
        )
        for i in range(0, len(huts), BATCH):
            with conn.transaction(), conn.cursor().copy(_BARE_COPY) as copy:  # type: ignore[arg-type]
                copy.set_types(["int4", "text", "int4", "int4", "text"])
                for hut in huts[i : i + BATCH]:
                    days = orjson.loads(client.get(url, params={"hutId": hut.source_hut_id}).content)
                    for d in days:
                        copy.write_row((hut.hut_id, d["dateFormatted"], d["freeBeds"], d["totalSleepingPlaces"],
                                        d["hutStatus"]))  # fmt: skip
    return time.perf_counter() - began


def clear(db: Database) -> None:
    with db.connect() as conn:
        conn.execute("TRUNCATE hut_availability, hut_availability_history, hut_fetch_status")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median is used)")
    args = parser.parse_args(argv)

    db = fresh_database(BENCH_DATABASE)
    with db.connect() as conn:
        load_huts(conn, catalog_records())
        every = bookable_huts(conn)
    config = SimulatorConfig(seed=1, start=START, speed=0.0)
    with SimulatorServer(config, host="127.0.0.1", port=0) as server:
        server.simulator.warm()
        start = server.simulator.now().date()
        figures: dict[str, dict[int, float]] = {"first load": {}, "unchanged": {}, "bare": {}}
        days: dict[int, int] = {}
        for n in (args.small, args.large):
            huts = every[:n]
            days[n] = sum(len(server.simulator.availability(int(h.source_hut_id))) for h in huts)
            first, same, bare = [], [], []
            for _ in range(args.repeat):
                clear(db)
                first.append(engine_pass(db, server.base_url, huts, start))
                same.append(engine_pass(db, server.base_url, huts, start))
                bare.append(bare_pass(db, server.base_url, huts))
            figures["first load"][n] = statistics.median(first)
            figures["unchanged"][n] = statistics.median(same)
            figures["bare"][n] = statistics.median(bare)

    extra = args.large - args.small
    per_hut = {name: (f[args.large] - f[args.small]) / extra * 1000 for name, f in figures.items()}
    print(f"database: {db.describe()}; simulator on 127.0.0.1, no request interval; batches of {BATCH} huts")
    print(f"huts: {args.small} ({days[args.small]} days) and {args.large} ({days[args.large]} days);"
          f" every day the site serves; median of {args.repeat}")  # fmt: skip
    print(f"{'path':<12} {f'{args.small} huts s':>12} {f'{args.large} huts s':>12} {'ms per hut':>11} {'× bare':>7}")
    for name, f in figures.items():
        ratio = per_hut[name] / per_hut["bare"]
        print(f"{name:<12} {f[args.small]:12.3f} {f[args.large]:12.3f} {per_hut[name]:11.2f} {ratio:7.2f}")
    verdicts = [(f"{name} <= 2x bare", per_hut[name] <= 2 * per_hut["bare"]) for name in ("first load", "unchanged")]
    print("targets: " + "; ".join(f"{name}: {'ok' if met else 'NOT MET'}" for name, met in verdicts))


if __name__ == "__main__":
    main()
