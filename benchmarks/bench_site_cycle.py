"""Full cycle time per provider at its default pace: how long one refresh of every hut of a
booking system takes when each provider asks at its own default interval.

A cycle is bounded by pacing, not by our work: request starts are `interval` apart per provider,
and parsing and storing one hut overlap the wait for the next. So the cycle is
`huts × requests per hut × interval`, where requests per hut is measured here over real HTTP
against the simulator (each provider's own protocol: one call per hut for hut-reservation.org and
FFCAM, one per calendar month for Hütten-Holiday, one per 30-night window of the season for the
TMB refuges) for a year's horizon, and the unpaced time per hut (fetch + parse, interval 0) shows
how far below the interval our own work stays. No database: storing overlaps the pacing wait.

    .venv/bin/python -m benchmarks.bench_site_cycle [--sample 10] [--days 365]

Huts per system: hut-reservation.org 565 (packaged catalog, active), Hütten-Holiday `--hh-cabins`
(default 40: the simulator's count), TMB 41 (packaged), FFCAM 89 (bookable refuges on the site).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from hut_availability_pipeline.catalog.files import catalog_records, tmb_catalog_records
from hut_availability_pipeline.domain.bookings import HutRef
from hut_availability_pipeline.providers.registry import PROVIDERS
from hut_availability_pipeline.providers.tmb.service import windows
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.simulator.alpine import FFCAM_REFUGES


def sample_huts(source: str, sim: SimulatorServer, n: int) -> list[HutRef]:
    """`n` huts of `source` the simulator serves."""
    if source == "hrs":
        ids = [r.source_hut_id for r in catalog_records() if r.is_active is not False][:n]
    elif source == "huetten-holiday":
        ids = [str(i) for i in sim.simulator.huetten_holiday.cabin_ids()[:n]]
    elif source == "tmb":
        ids = [r.source_hut_id for r in tmb_catalog_records()][:n]
    else:
        ids = [str(i) for i in FFCAM_REFUGES[:n]]
    return [HutRef(hut_id=k, slug=f"{source}-{i}", source=source, source_hut_id=i) for k, i in enumerate(ids)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_site_cycle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=10, help="huts fetched per provider to measure")
    parser.add_argument("--days", type=int, default=365, help="horizon asked (days from today)")
    parser.add_argument("--hh-cabins", type=int, default=40)
    args = parser.parse_args(argv)
    huts_of = {"hrs": 565, "huetten-holiday": args.hh_cabins, "tmb": 41, "ffcam": 89}
    # high summer, as a season at its busiest; the TMB windows of a year from then
    start = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)
    config = SimulatorConfig(seed=1, start=start, speed=0.0, hh_cabins=args.hh_cabins)
    print(f"full cycle per provider at its default pace, {args.days}-day horizon from {start.date()}"
          f" (requests per hut measured over {args.sample} huts against the simulator)")  # fmt: skip
    print(f"{'provider':<17} {'pace s':>6} {'huts':>5} {'req/hut':>8} {'unpaced ms/hut':>15} {'cycle':>10}")
    with SimulatorServer(config, host="127.0.0.1", port=0) as sim:
        for source, provider in PROVIDERS.items():
            huts = sample_huts(source, sim, args.sample)
            service = provider.create_service(sim.base_url, 0.0)
            began = time.perf_counter()
            with service:
                results = list(service.iter_bookings(huts, start.date(), args.days, 0.0))
            seconds = time.perf_counter() - began
            failed = [r.error for r in results if not r.ok]
            per_hut = sum(r.requests for r in results) / len(results)
            pace = provider.default_request_interval
            cycle = huts_of[source] * per_hut * pace
            note = f"  ({len(failed)} failed: {failed[0]})" if failed else ""
            unpaced = 1000 * seconds / len(results)
            print(f"{source:<17} {pace:>6.1f} {huts_of[source]:>5} {per_hut:>8.2f} {unpaced:>15.1f}"
                  f" {cycle / 60:>7.1f} min{note}")  # fmt: skip
    every = len(windows(start.date(), args.days, season_only=False))
    season = len(windows(start.date(), args.days))
    print(f"TMB: {every} windows of 30 nights cover the horizon, {season} touch the season (May 15 - Oct 15):"
          f" {season} calls per refuge instead of {every}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
