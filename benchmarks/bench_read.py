"""Read-side latency on a year of data: 567 huts × 365 days of current state and ~20 states per
hut-date of history (~4.1M rows), generated in SQL (generate_series) into its own database.

Prints the median (and 95th percentile) of many runs of: for_map and for_map_geojson (4 days, every
hut), for_hut_detail (14 days), for_trend (30 days of one hut-date), the GeoJSON endpoint (4 days)
under 4 concurrent clients against `hut-availability serve` in its own process, and the daily trend
derivation, and the one availability query of `show`, the API's table and the web table; then the
EXPLAIN (ANALYZE, BUFFERS) plans of the queries. Targets: 50 ms (map, availability table), 10 ms
(detail, trend), 150 ms per request (endpoint).

    .venv/bin/python -m benchmarks.bench_read [--runs 200] [--requests 100] [--keep] [--database NAME]

Uses the embedded server (database `hut_availability_bench_read`, or --database's, recreated unless
--keep finds it filled) or DATABASE_URL's server; on a server shared with others, give each run a
database name of its own (--database), since the run drops and recreates it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
from psycopg import conninfo, sql

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server
from hut_availability_pipeline.storage.huts import load_huts
from hut_availability_pipeline.storage.queries import (
    current_availability,
    for_hut_detail,
    for_map,
    for_map_geojson,
    for_trend,
)
from hut_availability_pipeline.storage.read_models import AvailabilityFilter
from hut_availability_pipeline.storage.read_only import connect_read_only
from hut_availability_pipeline.storage.sqlfiles import query
from hut_availability_pipeline.storage.trends import compute_trends

BENCH_DATABASE = "hut_availability_bench_read"
DAYS = 365
STATES = 20  # per hut-date

# One statement per month of availability dates (each fills one history partition). State k of a
# hut-date was first seen k × 18 days after a year ago (plus a jitter of up to ~17 h), the last one
# is still open; free places fall by 2 per state (to 0: full), with 40 places in all.
_HISTORY_SQL = """
INSERT INTO hut_availability_history
    (hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status,
     day_state, first_checked, last_checked)
SELECT h.id, d.day, s.free, 40, (40 - s.free) * 2.5, 'hut',
       CASE WHEN s.free > 0 THEN 'possible' ELSE 'not_possible' END,
       CASE WHEN s.free > 0 THEN 'bookable' ELSE 'full' END,
       s.first_checked,
       CASE WHEN k < %(states)s - 1 THEN s.first_checked + interval '18 days' - interval '30 minutes' END
FROM huts h
CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d (day)
CROSS JOIN generate_series(0, %(states)s - 1) AS k
CROSS JOIN LATERAL (
    SELECT greatest(0, 40 - 2 * k - (h.id + d.day::date - %(first)s::date) %% 3) AS free,
           %(now)s::timestamptz - interval '365 days' + k * interval '18 days'
               + ((h.id * 37 + (d.day::date - %(first)s::date) * 11) %% 1000) * interval '1 minute'
               AS first_checked
) AS s
"""

# The current state: the open state of every hut-date, last checked within the last 3 hours.
_CURRENT_SQL = """
INSERT INTO hut_availability
    (hut_id, availability_date, source_organization_id, source_hut_id, free, total, occupancy_percent,
     occupancy_steps, occupancy_status, reservation_status, day_state, link, hut_type, first_checked,
     last_checked)
SELECT h.hut_id, h.availability_date, u.source_organization_id, u.source_hut_id, h.free, h.total,
       h.occupancy_percent, (round(h.occupancy_percent / 10) * 10)::smallint,
       CASE WHEN h.occupancy_percent = 100 THEN 'full' WHEN h.occupancy_percent > 62 THEN 'high'
            WHEN h.occupancy_percent > 37 THEN 'medium' WHEN h.occupancy_percent > 0 THEN 'low'
            ELSE 'empty' END,
       h.reservation_status, h.day_state,
       'https://www.hut-reservation.org/reservation/book-hut/' || u.source_hut_id || '/wizard',
       h.hut_type, h.first_checked,
       %(now)s::timestamptz - ((h.hut_id * 7) %% 180) * interval '1 minute'
FROM hut_availability_history h
JOIN huts u ON u.id = h.hut_id
WHERE h.last_checked IS NULL
"""


def bench_database(keep: bool, name: str = BENCH_DATABASE) -> tuple[Database, str]:
    """The benchmark's database `name` and a postgresql:// URL of it (for the API's process)."""
    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not (keep and exists):
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(conninfo.make_conninfo(server, dbname=name))
    migrate(db)
    params = conninfo.conninfo_to_dict(db.conninfo)
    host = str(params.get("host") or "localhost")
    user = params.get("user") or "postgres"
    port = params.get("port") or 5432
    if host.startswith("/"):
        url = f"postgresql://{user}@/{name}?host={host}&port={port}"
    else:
        password = f":{params['password']}" if params.get("password") else ""
        url = f"postgresql://{user}{password}@{host}:{port}/{name}"
    return db, url


def generate(db: Database, now: dt.datetime, today: dt.date) -> dict[str, float]:
    """Fill the database (unless it holds data already); seconds per step."""
    timings: dict[str, float] = {}
    with db.connect(autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM hut_availability").fetchone()
        if row and row[0]:
            return timings
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        started = time.perf_counter()
        load_huts(conn, catalog_records())
        timings["huts"] = time.perf_counter() - started
        last = today + dt.timedelta(days=DAYS - 1)
        conn.execute("SELECT ensure_history_partitions(%s, %s)", (today, last))  # migration 0002
        started = time.perf_counter()
        month = today.replace(day=1)
        while month <= last:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            first, end = max(month, today), min(following - dt.timedelta(days=1), last)
            conn.execute(_HISTORY_SQL, {"first": first, "last": end, "states": STATES, "now": now})
            month = following
        timings["history"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(_CURRENT_SQL, {"now": now})
        timings["current"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) hut_availability")
        conn.execute("VACUUM (ANALYZE) hut_availability_history")
        conn.execute("ANALYZE huts")
        timings["vacuum analyze"] = time.perf_counter() - started
    return timings


def timed(fn: Callable[[], Any], runs: int, warmup: int = 5) -> list[float]:
    """Milliseconds of each of `runs` calls, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(name: str, ms: list[float], target: float) -> str:
    median = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else max(ms)
    verdict = "ok" if median < target else "OVER TARGET"
    return f"{name:<44} median {median:8.2f} ms   p95 {p95:8.2f} ms   target < {target:g} ms: {verdict}"


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    """`hut-availability serve` in its own process on a free port; its base URL once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "hut_availability_pipeline.cli", "serve", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}")
        try:
            httpx.get(f"{base}/openapi.json")
            return process, base
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.terminate()
                raise RuntimeError("serve did not start within 60 s") from None
            time.sleep(0.2)


def concurrent_requests(base: str, path: str, clients: int, per_client: int) -> tuple[list[float], int]:
    """Each of `clients` threads sends `per_client` requests one after the other (after a warm-up);
    milliseconds of every request, and the size of one response."""
    results: list[list[float]] = [[] for _ in range(clients)]
    sizes: list[int] = []
    barrier = threading.Barrier(clients)

    def client(index: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(3):
                response = http.get(path)
                response.raise_for_status()
            sizes.append(len(response.content))
            barrier.wait()
            for _ in range(per_client):
                started = time.perf_counter()
                http.get(path).raise_for_status()
                results[index].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [ms for per in results for ms in per], sizes[0]


def explain(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> str:
    rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {query(name)}", params).fetchall()  # type: ignore[arg-type]
    return "\n".join(f"    {r[0]}" for r in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="runs per query (median reported)")
    parser.add_argument("--requests", type=int, default=100, help="requests per client for the endpoint")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="reuse the generated database if it is filled")
    parser.add_argument(
        "--database", default=BENCH_DATABASE, help=f"the database to (re)create (default: {BENCH_DATABASE})"
    )
    args = parser.parse_args(argv)

    settings = load_settings()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.astimezone(settings.zone).date()
    db, url = bench_database(args.keep, args.database)
    timings = generate(db, now, today)
    rng = random.Random(7)
    with connect_read_only(db) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM huts), (SELECT count(*) FROM hut_availability),"
            " (SELECT count(*) FROM hut_availability_history),"
            " pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()
        assert counts is not None
        huts = [r[0] for r in conn.execute("SELECT slug FROM huts ORDER BY id").fetchall()]
        print(f"database: {db.describe()} ({counts[3]})")
        print(f"data: {counts[0]} huts, {counts[1]} current rows, {counts[2]} history rows")
        for step, seconds in timings.items():
            print(f"  generated {step}: {seconds:.1f} s")
        print()

        page = for_map(conn, today, zone=settings.zone, now=now)
        print(f"for_map: {len(page.huts)} huts × {sum(len(h.days) for h in page.huts) // len(page.huts)} days")
        lines = [
            summary("for_map (4 days, all huts, one round trip)", timed(lambda: for_map(conn, today), args.runs), 50)
        ]
        lines.append(summary(
            "for_map_geojson (the same, serialized by PostgreSQL)",
            timed(lambda: for_map_geojson(conn, today), args.runs), 50,
        ))  # fmt: skip
        lines.append(summary(
            "for_hut_detail (14 days, random hut)",
            timed(lambda: for_hut_detail(conn, rng.choice(huts), today), args.runs), 10,
        ))  # fmt: skip

        def trend() -> None:
            target = today + dt.timedelta(days=rng.randrange(DAYS))
            states = for_trend(conn, rng.choice(huts), target, 30, now).states
            assert states, "a trend without states: the data is not what the benchmark expects"

        lines.append(summary("for_trend (30 days before now, random hut-date)", timed(trend, args.runs), 10))
        # the one availability query: `show` (14 days from today, first 500 rows by name) and the web
        # table / API (7 days, a page of 100 rows sorted by free places, descending)
        show_filter = AvailabilityFilter(today, today + dt.timedelta(days=13), limit=500)
        table_filter = AvailabilityFilter(today, today + dt.timedelta(days=6), sort="free", descending=True)
        lines.append(summary(
            "current_availability (show: 14 days, 500 rows)",
            timed(lambda: current_availability(conn, show_filter), args.runs), 50,
        ))  # fmt: skip
        lines.append(summary(
            "current_availability (web table: 7 days, 100 rows by free)",
            timed(lambda: current_availability(conn, table_filter), args.runs), 50,
        ))  # fmt: skip

    process, base = serve(url)
    try:
        path = f"/v1/availability/{today.isoformat()}.geojson?days=4"
        ms, size = concurrent_requests(base, path, args.clients, args.requests)
        lines.append(summary(f"GET {path} ({args.clients} clients)", ms, 150))
        single, _ = concurrent_requests(base, path, 1, max(20, args.requests // 4))
        lines.append(summary(f"  the same, 1 client ({size / 1024:.0f} KiB)", single, 150))
    finally:
        process.terminate()
        process.wait(10)
    for line in lines:
        print(line)

    with db.connect() as conn:
        started = time.perf_counter()
        run = compute_trends(conn, now, settings.zone)
        print(f"trend derivation (daily asset): {run.rows} hut-dates in {time.perf_counter() - started:.1f} s")
    with connect_read_only(db) as conn:
        hut_id = conn.execute("SELECT id FROM huts WHERE slug = %s", (huts[len(huts) // 2],)).fetchone()[0]  # type: ignore[index]
        end = today + dt.timedelta(days=3)
        target = today + dt.timedelta(days=40)
        map_params = {"date_from": today, "date_to": end, "slugs": None, "offset": 0, "limit": None}
        print("\nEXPLAIN read_map (4 days):")
        print(explain(conn, "read_map", map_params))
        print("\nEXPLAIN read_map_geojson (4 days, the GeoJSON endpoint's query):")
        print(explain(conn, "read_map_geojson", map_params))
        print("\nEXPLAIN read_hut_detail (14 days):")
        print(explain(conn, "read_hut_detail", {"hut_id": None, "slug": huts[len(huts) // 2], "date_from": today,
                                                 "date_to": today + dt.timedelta(days=13)}))  # fmt: skip
        any_filter = {"occupancy_statuses": None, "reservation_statuses": None, "hut_types": None, "day_states": None,
                      "sources": None, "min_free": None, "search": None, "offset": 0, "count": True}  # fmt: skip
        print("\nEXPLAIN read_current (show: 14 days, 500 rows by name):")
        print(explain(conn, "read_current", {**any_filter, "date_from": today, "date_to": today + dt.timedelta(days=13),
                                              "sort": "name", "descending": False, "limit": 500}))  # fmt: skip
        print("\nEXPLAIN read_current (web table: 7 days, 100 rows by free, descending):")
        print(explain(conn, "read_current", {**any_filter, "date_from": today, "date_to": today + dt.timedelta(days=6),
                                              "sort": "free", "descending": True, "limit": 100}))  # fmt: skip
        print("\nEXPLAIN read_trend (30 days):")
        print(explain(conn, "read_trend", {"hut_id": hut_id, "availability_date": target, "now": now,
                                            "window_start": now - dt.timedelta(days=30)}))  # fmt: skip


if __name__ == "__main__":
    main()
