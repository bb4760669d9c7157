"""Cost of refreshing the catalog the way production does it (priority sensor → queued runs →
engine → PostgreSQL) against the same refresh done by the core engine directly, side by side.

One run of this script, one simulator (no request interval), one PostgreSQL server:

1. engine: `refresh.parallel.refresh_huts` (the call `update`, the refresh runs and backfills make)
   over all catalog huts in this process, every day the site serves (as the sensor's runs ask),
   twice (first load into an empty database, then a refresh of every hut);
2. Dagster: `dagster-daemon run` (sensor, run queue, run launcher: what `hut-availability dev` and a
   deployment run, minus the idle webserver) against a database of its own and the project's
   dagster.yaml (Dagster storage in PostgreSQL, queue limits, the provider pool). The priority
   sensor requests the first load on its first tick; then the benchmark ages every hut's last check
   by 8 days ("a week later": all huts due again) and the next tick requests the refresh. A pass
   lasts from the tick's start to the end of the last run it requested.

Both passes store the same rows (printed, and checked). Prints seconds per pass, runs per pass
and the ratio Dagster / engine (the target: at most 2).

    .venv/bin/python -m benchmarks.bench_dagster [--huts 567] [--huts-per-run 300]

Uses the embedded server (HUT_AVAILABILITY_HOME) or DATABASE_URL's server; its databases
`hut_availability_bench_engine`, `hut_availability_bench_dagster` and `dagster_bench` are recreated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.defs.refresh.partitions import sync_hut_partitions
from hut_availability_pipeline.domain.dates import today_in
from hut_availability_pipeline.refresh.engine import UpdateReport
from hut_availability_pipeline.refresh.parallel import refresh_huts, services_at
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts

ROOT = Path(__file__).resolve().parents[1]
ENGINE_DB, DAGSTER_DATA_DB, DAGSTER_STORAGE_DB = (
    "hut_availability_bench_engine",
    "hut_availability_bench_dagster",
    "dagster_bench",
)
PASS_TIMEOUT = 900.0


def url_with_dbname(url: str, name: str) -> str:
    """The server URL (postgresql://...) pointing at database `name`."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def recreate(server: str, name: str) -> Database:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return Database(conninfo.make_conninfo(server, dbname=name))


def load_catalog(db: Database, huts: int) -> int:
    migrate(db)
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:huts])
        return len(bookable_huts(conn))


def engine_pass(db: Database, base_url: str, batch_size: int) -> tuple[float, UpdateReport]:
    """Every hut, every day the simulator serves, through the refresh's one entry point."""
    settings = load_settings()
    with db.connect() as conn:
        huts = bookable_huts(conn)
    started = time.perf_counter()
    report = refresh_huts(
        db,
        huts,
        services_at({"hrs": base_url}),
        start=today_in(settings.zone, dt.datetime.now(dt.UTC)),
        request_intervals={"hrs": 0.0},
        batch_size=batch_size,
    ).merged
    return time.perf_counter() - started, report


def age_last_checks(db: Database, days: int = 8) -> None:
    """Make every hut due again, as if its last check were `days` older (simulated time passing)."""
    with db.connect() as conn:
        conn.execute(
            "UPDATE hut_fetch_status SET last_success = last_success - make_interval(days => %s),"
            " last_attempt = last_attempt - make_interval(days => %s)",
            (days, days),
        )
        conn.commit()


class DaemonSession:
    """`dagster-daemon run` on a fresh DAGSTER_HOME with the project's dagster.yaml."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.home = Path(env["DAGSTER_HOME"])
        (self.home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
        self.log = (self.home / "daemon.log").open("w")
        self.process: subprocess.Popen[bytes] | None = None
        self.passes: list[tuple[float, list[Any]]] = []
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            import dagster as dg

            self.instance = dg.DagsterInstance.get()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def start(self, data_db: Database) -> None:
        """Register the hut partitions (as `hut-availability dev` does), then start the daemon."""
        with data_db.connect() as conn:
            sync_hut_partitions(conn, self.instance)
        daemon = Path(sys.executable).with_name("dagster-daemon")
        self.process = subprocess.Popen(
            ["env", "--default-signal=INT,TERM", str(daemon), "run", "-w", str(ROOT / "workspace.yaml")],
            env=self.env,
            cwd=self.home,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def sensor_ticks(self) -> list[Any]:
        # every instigator's state, found by name: filtering by type would need dagster's private
        # InstigatorType, and no schedule is called like the sensor
        ticks: list[Any] = []
        for state in self.instance.all_instigator_state():
            if state.name == "hut_priority_sensor":
                ticks += self.instance.get_ticks(state.instigator_origin_id, state.selector_id)
        return sorted(ticks, key=lambda t: t.timestamp)

    def wait_for_tick_with_runs(self, after: float) -> Any:
        deadline = time.time() + PASS_TIMEOUT
        while time.time() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"dagster-daemon exited; see {self.home / 'daemon.log'}")
            ticks = [t for t in self.sensor_ticks() if t.timestamp > after and t.run_ids]
            if ticks:
                return ticks[0]
            time.sleep(0.5)
        raise TimeoutError("the priority sensor requested no runs")

    def wait_for_runs(self, run_ids: list[str]) -> list[Any]:
        import dagster as dg

        deadline = time.time() + PASS_TIMEOUT
        while time.time() < deadline:
            records = self.instance.get_run_records(filters=dg.RunsFilter(run_ids=run_ids))
            if len(records) == len(run_ids) and all(r.dagster_run.is_finished for r in records):
                failed = [r.dagster_run.run_id for r in records if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS]
                if failed:
                    raise RuntimeError(f"runs failed: {failed}; see the Dagster storage in {DAGSTER_STORAGE_DB}")
                return list(records)
            time.sleep(0.5)
        raise TimeoutError(f"runs did not finish within {PASS_TIMEOUT:.0f} s")

    def measure_pass(self, after: float) -> tuple[float, int, float]:
        """(seconds from the tick to the end of its last run, runs, seconds of the tick itself)."""
        tick = self.wait_for_tick_with_runs(after)
        records = self.wait_for_runs(list(tick.run_ids))
        end = max(r.end_time for r in records)
        self.passes.append((tick.timestamp, records))
        return end - tick.timestamp, len(records), (tick.end_timestamp or tick.timestamp) - tick.timestamp

    def breakdown(self) -> list[str]:
        """Where each pass's time went, run by run, from the runs' records and the timestamps of the
        materializations they logged (three per hut): start-up (queued → started: the run queue,
        the launcher, the worker loading the code), the wait before the first event (the pool slot,
        the first batch), the span of the events and their mean cost."""
        events: dict[str, list[float]] = {}
        for asset in ("hut_bookings", "hut_availability", "hut_availability_history"):
            for record in self.materialization_records(asset):
                events.setdefault(record.run_id, []).append(record.timestamp)
        lines = [f"{'pass':<11} {'run':>3} {'start-up s':>10} {'to 1st event s':>14} {'events':>6} {'event span s':>12}"
                 f" {'ms/event':>8} {'end s':>6}"]  # fmt: skip
        for name, (tick_at, records) in zip(("first load", "refresh"), self.passes, strict=False):
            for i, r in enumerate(sorted(records, key=lambda r: r.create_timestamp.timestamp()), 1):
                stamps = sorted(events.get(r.dagster_run.run_id, []))
                span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
                per = 1000 * span / (len(stamps) - 1) if len(stamps) > 1 else 0.0
                first = stamps[0] - r.start_time if stamps else 0.0
                lines.append(
                    f"{name:<11} {i:>3} {r.start_time - r.create_timestamp.timestamp():10.2f} {first:14.2f}"
                    f" {len(stamps):6d} {span:12.2f} {per:8.2f} {r.end_time - tick_at:6.2f}"
                )
        return lines

    def materialization_records(self, asset: str) -> Iterator[Any]:
        """Every materialization of `asset`, page by page (Dagster returns at most 10,000 per call)."""
        import dagster as dg

        cursor = None
        while True:
            page = self.instance.fetch_materializations(dg.AssetKey(asset), limit=10_000, cursor=cursor)
            yield from page.records
            if not page.has_more:
                return
            cursor = page.cursor

    def materializations(self, asset: str) -> int:
        return sum(1 for _ in self.materialization_records(asset))

    def close(self) -> None:
        if self.process is None:
            self.instance.dispose()
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # code server or run workers left behind
        except ProcessLookupError:
            pass
        self.instance.dispose()
        self.log.close()


def row_count(db: Database, table: str) -> int:
    with db.connect() as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--huts", type=int, default=10_000, help="catalog huts to use (default: all)")
    parser.add_argument("--huts-per-run", type=int, default=None, help="HUT_AVAILABILITY_HUTS_PER_RUN")
    args = parser.parse_args(argv)

    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    engine_db = recreate(server, ENGINE_DB)
    data_db = recreate(server, DAGSTER_DATA_DB)
    storage_db = recreate(server, DAGSTER_STORAGE_DB)
    huts = load_catalog(engine_db, args.huts)
    load_catalog(data_db, args.huts)
    server_url = server if server.startswith("postgres") else conninfo.make_conninfo(server)

    with SimulatorServer(SimulatorConfig(seed=1, speed=0.0), port=0) as simulator:
        engine = [engine_pass(engine_db, simulator.base_url, settings.batch_size) for _ in range(2)]

        with tempfile.TemporaryDirectory(prefix="bench_dagster_") as home:
            env = {
                **os.environ,
                "DAGSTER_HOME": home,
                "DAGSTER_POSTGRES_URL": storage_db.sqlalchemy_url("psycopg2"),
                "DATABASE_URL": url_with_dbname(server_url, DAGSTER_DATA_DB),
                "HRS_BASE_URL": simulator.base_url,
                "HUT_AVAILABILITY_REQUEST_INTERVAL": "0",
            }
            if args.huts_per_run:
                env["HUT_AVAILABILITY_HUTS_PER_RUN"] = str(args.huts_per_run)
            session = DaemonSession(env)
            try:
                session.start(data_db)
                first = session.measure_pass(after=0.0)
                aged_at = time.time()
                age_last_checks(data_db)
                refresh = session.measure_pass(after=aged_at)
                events = session.materializations("hut_availability")
                breakdown = session.breakdown()
            finally:
                session.close()

    rows = (row_count(engine_db, "hut_availability"), row_count(data_db, "hut_availability"))
    history = (row_count(engine_db, "hut_availability_history"), row_count(data_db, "hut_availability_history"))
    print(f"database: {engine_db.describe()} (and {DAGSTER_DATA_DB}, {DAGSTER_STORAGE_DB})")
    print(f"huts: {huts}, every day served; batch size {settings.batch_size}; simulator, no request interval")
    print(f"current-state rows engine/dagster: {rows[0]}/{rows[1]}; history rows: {history[0]}/{history[1]}")
    if rows[0] != rows[1]:
        print("the passes stored different rows: the ratios compare different work", file=sys.stderr)
    print(f"hut_availability materializations recorded by Dagster: {events} (2 passes × {huts} huts)")
    print(f"{'pass':<12} {'engine s':>9} {'dagster s':>10} {'runs':>5} {'tick s':>7} {'ratio':>6}")
    for name, (engine_s, report), (dagster_s, runs, tick_s) in zip(
        ("first load", "refresh"), engine, (first, refresh), strict=True
    ):
        assert not report.failed, f"engine: {len(report.failed)} huts failed"
        print(f"{name:<12} {engine_s:9.2f} {dagster_s:10.2f} {runs:5d} {tick_s:7.2f} {dagster_s / engine_s:6.2f}")
    print("where the Dagster passes' time went (seconds from the run's creation; 'end': from the tick):")
    print("\n".join(breakdown))


if __name__ == "__main__":
    main()
