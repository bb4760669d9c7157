"""Wall time of `update --all` with both providers at once vs the two one after the other.

Against the simulator (both sites on one loopback address) and a real PostgreSQL: `--hrs` huts
of hut-reservation.org and `--cabins` Hütten-Holiday cabins, `--days` days each, every provider
paced at `--interval` seconds between request starts (its own pacer and breaker). Each pass
starts from a fresh database (a first load), through the same call `update --all` makes
(`parallel.refresh_huts`). Prints each provider alone, their sum, both at once, and whether
the parallel run takes about as long as the slower provider alone (target: within 15 % of it).

    .venv/bin/python -m benchmarks.bench_providers_parallel [--hrs 30] [--cabins 10] [--days 60] [--interval 0.2]

Uses the embedded server (its own database `hut_availability_bench`, recreated) or DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import time

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.refresh.parallel import refresh_huts, services_at
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts

from .bench_engine import drop_database, fresh_database


def one_pass(server: SimulatorServer, hrs: int, cabins: int, days: int, interval: float) -> tuple[float, int, int]:
    """(wall seconds, huts stored, huts failed) of one update of a fresh database."""
    db = fresh_database()
    try:
        records = catalog_records()[:hrs] + [
            HutRecord("huetten-holiday", str(n), f"cabin-{n}", f"Cabin {n}") for n in range(1, cabins + 1)
        ]
        with db.connect() as conn:
            load_huts(conn, records)
            huts = bookable_huts(conn)
        urls = {"hrs": server.base_url, "huetten-holiday": server.base_url}
        started = time.perf_counter()
        report = refresh_huts(
            db,
            huts,
            services_at(urls),
            start=server.simulator.now().date(),
            days=days,
            request_intervals={"hrs": interval, "huetten-holiday": interval},
        )
        wall = time.perf_counter() - started
        return wall, len(report.merged.stored), len(report.merged.failed)
    finally:
        drop_database(db)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hrs", type=int, default=30, help="hut-reservation.org huts")
    parser.add_argument("--cabins", type=int, default=10, help="Hütten-Holiday cabins")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between request starts, per provider")
    args = parser.parse_args(argv)
    with SimulatorServer(SimulatorConfig(seed=1, hh_cabins=max(args.cabins, 1)), port=0) as server:
        server.simulator.warm()
        hrs_alone = one_pass(server, args.hrs, 0, args.days, args.interval)
        hh_alone = one_pass(server, 0, args.cabins, args.days, args.interval)
        both = one_pass(server, args.hrs, args.cabins, args.days, args.interval)
    sequential = hrs_alone[0] + hh_alone[0]
    slower = max(hrs_alone[0], hh_alone[0])
    print(f"{args.hrs} hut-reservation.org huts + {args.cabins} Hütten-Holiday cabins, {args.days} days,"
          f" {args.interval:g} s between request starts per provider")  # fmt: skip
    print(f"  hut-reservation.org alone   {hrs_alone[0]:7.2f} s  ({hrs_alone[1]} stored, {hrs_alone[2]} failed)")
    print(f"  Hütten-Holiday alone        {hh_alone[0]:7.2f} s  ({hh_alone[1]} stored, {hh_alone[2]} failed)")
    print(f"  one after the other (sum)   {sequential:7.2f} s")
    print(f"  both at once (update --all) {both[0]:7.2f} s  ({both[1]} stored, {both[2]} failed)")
    print(f"  parallel / slower alone     {both[0] / slower:7.2f}x   parallel / sequential {both[0] / sequential:.2f}x")
    verdict = "met" if both[0] <= 1.15 * slower else "NOT met"
    print(f"target (parallel within 15 % of the slower provider alone): {verdict}")


if __name__ == "__main__":
    main()
