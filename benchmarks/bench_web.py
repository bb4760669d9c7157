"""The web front end in Debian's Chromium on loopback, on every catalog hut fed by the simulator:
how long the map page takes on a 390×844 phone viewport until every hut is drawn, as a marker or
in a cluster (target < 1.5 s), a hut page until it has loaded (target < 0.5 s), and a 6-hut tour
over a 60-night window answered by `GET /v1/tours` (target < 300 ms); and a screenshot of each
page into docs/ (web-map.png, web-hut.png, web-night.png, web-browse.png, web-tours.png).

    .venv/bin/python -m benchmarks.bench_web [--runs 10] [--days 60] [--keep] [--no-screenshots]

The database `hut_availability_bench_web` (on the embedded server of HUT_AVAILABILITY_HOME, or
DATABASE_URL's server; recreated unless --keep finds it filled) gets the packaged catalog (565
active huts) fetched five times from a simulator of its own starting on a summer morning, two
simulated days apart (check times moved to the simulated ones), and its trends derived. The app
runs in this process under uvicorn on 127.0.0.1 with its clock an hour after the last fetch.
Each run opens a fresh browser context (empty cache) and reads the browser's own clock: the map
from navigation start to the `huts-drawn` mark map.js sets after drawing, the hut page from
navigation start to loadEventEnd. The tour: the six active huts with a location nearest the
biggest one, in order of distance, from the first fetched night over 60 start dates, timed from
request to complete answer by an httpx client on loopback (a new query each run: no HTTP cache).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from playwright.sync_api import ViewportSize, sync_playwright
from psycopg import conninfo, sql

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.config import Settings, load_settings
from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.refresh.engine import run_update
from hut_availability_pipeline.serving.app import create_app
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.trends import compute_trends

BENCH_DATABASE = "hut_availability_bench_web"
DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
START = dt.datetime(2027, 7, 1, 6, 0, tzinfo=dt.UTC)  # a summer morning: the huts are open
FETCHES = 5
STEP = dt.timedelta(hours=48)
NOW = START + (FETCHES - 1) * STEP + dt.timedelta(hours=1)  # the app's clock: an hour after the last fetch
PHONE: ViewportSize = {"width": 390, "height": 844}
TOUR_HUTS = 6
TOUR_WINDOW = 60
# the huts the map represents: a marker each, and each cluster's count
DRAWN = """() => {
  const markers = document.querySelectorAll('.leaflet-marker-icon.hut-marker').length;
  const clustered = [...document.querySelectorAll('.marker-cluster span')]
    .reduce((n, s) => n + Number(s.textContent), 0);
  return markers + clustered;
}"""

# The engine stamps a check with the real time its answer arrived; the simulator's fetches lie
# STEP apart in simulated time but seconds apart in real time. So that the curves and trends show
# the simulated days, every check time within fetch i's real window moves to simulated time s_i.
_SHIFT_SQL = """
UPDATE {table} SET first_checked = first_checked + shift.by,
                   last_checked = CASE WHEN last_checked IS NULL THEN NULL ELSE last_checked + (
                       SELECT w.by FROM windows w WHERE last_checked BETWEEN w.a AND w.b) END
FROM windows shift
WHERE first_checked BETWEEN shift.a AND shift.b
"""


def bench_database(keep: bool) -> tuple[Database, bool]:
    """The benchmark's database, and whether it already holds the data (--keep)."""
    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,)).fetchone()
        if not (keep and exists):
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
    db = Database(conninfo.make_conninfo(server, dbname=BENCH_DATABASE))
    migrate(db)
    with db.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM hut_availability").fetchone()
    return db, bool(keep and exists and row and row[0])


def fill(db: Database, days: int) -> None:
    with db.connect() as conn:
        load_huts(conn, catalog_records())
        huts = bookable_huts(conn)
        conn.commit()
    with SimulatorServer(SimulatorConfig(seed=3, start=START), host="127.0.0.1", port=0) as server:
        service = HutReservationService(base_url=server.base_url, request_interval=0)
        windows: list[tuple[dt.datetime, dt.datetime, dt.datetime]] = []
        for i in range(FETCHES):
            started = time.perf_counter()
            simulated, before = server.simulator.now(), dt.datetime.now(dt.UTC)
            report = run_update(db, service, huts, start=START.date(), days=days)
            windows.append((before, dt.datetime.now(dt.UTC), simulated))
            print(
                f"fetch {i + 1}: {len(huts)} huts, {len(report.failed)} failed, {time.perf_counter() - started:.1f} s"
            )
            server.simulator.advance(hours=STEP.total_seconds() / 3600)
    with db.connect() as conn:
        conn.execute("CREATE TEMP TABLE windows (a timestamptz, b timestamptz, by interval)")
        with conn.cursor().copy("COPY windows (a, b, by) FROM STDIN") as copy:
            for a, b, simulated in windows:
                copy.write_row((a, b, simulated - a))
        for table in ("hut_availability_history", "hut_availability"):
            conn.execute(sql.SQL(_SHIFT_SQL).format(table=sql.Identifier(table)))
        compute_trends(conn, NOW, "Europe/Zurich")
        conn.commit()


class Server:
    """The app under uvicorn on a free port of 127.0.0.1, in a thread."""

    def __init__(self, db: Database) -> None:
        app = create_app(db, Settings(timezone="Europe/Zurich"), clock=lambda: NOW)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def summary(name: str, ms: list[float], target: float) -> str:
    median = statistics.median(ms)
    verdict = "met" if median < target else "NOT met"
    spread = f"min {min(ms):7.1f}  max {max(ms):7.1f}"
    return f"{name:<34} median {median:7.1f} ms  {spread}  (target < {target:.0f} ms: {verdict})"


def busiest_night(db: Database) -> tuple[str, dt.date]:
    """The hut-date with the most states with numbers (for the night's screenshot)."""
    with db.connect() as conn:
        row = (
            conn.cursor(row_factory=psycopg.rows.dict_row)
            .execute(
                "SELECT h.slug, s.availability_date FROM hut_availability_history s JOIN huts h ON h.id = s.hut_id"
                " WHERE s.free IS NOT NULL GROUP BY h.slug, s.availability_date"
                " ORDER BY count(*) DESC, max(s.free) - min(s.free) DESC, h.slug LIMIT 1"
            )
            .fetchone()
        )
    assert row is not None
    return row["slug"], row["availability_date"]


def tour_huts(db: Database, near: str) -> list[str]:
    """The TOUR_HUTS active huts with a location nearest `near` (itself first), by distance."""
    with db.connect() as conn:
        rows = conn.execute("SELECT slug, lat, lon FROM huts WHERE is_active AND lat IS NOT NULL").fetchall()
    here = next((lat, lon) for slug, lat, lon in rows if slug == near)

    def distance(lat: float, lon: float) -> float:
        return math.hypot(lat - here[0], (lon - here[1]) * math.cos(math.radians(here[0])))

    return [slug for slug, lat, lon in sorted(rows, key=lambda r: distance(r[1], r[2]))[:TOUR_HUTS]]


def bench_tour(url: str, huts: list[str], runs: int) -> tuple[list[float], dict[str, Any]]:
    """Milliseconds per answer of the tour over TOUR_WINDOW start dates (parties 1..runs+1: each run
    another query), and the last answer."""
    first = START.date()
    last = first + dt.timedelta(days=TOUR_WINDOW - 1)
    ms: list[float] = []
    body: dict[str, Any] = {}
    with httpx.Client(base_url=url) as client:
        for party in range(1, runs + 2):  # the first run warms the server
            params: dict[str, str | int] = {
                "huts": ",".join(huts),
                "party": party,
                "from": first.isoformat(),
                "to": last.isoformat(),
            }
            started = time.perf_counter()
            response = client.get("/v1/tours", params=params)
            body = response.json()
            ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return ms[1:], body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--days", type=int, default=60, help="nights fetched per hut (default 60)")
    parser.add_argument("--keep", action="store_true", help="reuse a filled benchmark database")
    parser.add_argument("--no-screenshots", action="store_true")
    args = parser.parse_args()
    db, filled = bench_database(args.keep)
    if not filled:
        fill(db, args.days)
    with db.connect() as conn:
        huts = conn.execute("SELECT count(*) FROM huts WHERE is_active AND lat IS NOT NULL").fetchone()
        slug = conn.execute(
            "SELECT slug FROM huts WHERE is_active AND lat IS NOT NULL ORDER BY capacity DESC NULLS LAST LIMIT 1"
        ).fetchone()
    assert huts is not None and slug is not None
    hut_slug = str(slug[0])
    night_slug, night = busiest_night(db)
    with Server(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        map_ms: list[float] = []
        hut_ms: list[float] = []
        drawn = 0
        for _ in range(args.runs + 1):  # the first run warms the server and the database
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            page = context.new_page()
            page.goto(url + "/")
            page.wait_for_selector('#map-page[data-ready]:not([data-ready=""])', timeout=30_000)
            map_ms.append(page.evaluate("performance.getEntriesByName('huts-drawn')[0].startTime"))
            drawn = page.evaluate(DRAWN)
            page.goto(f"{url}/huts/{hut_slug}", wait_until="load")
            hut_ms.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
            context.close()
        huts_of_tour = tour_huts(db, hut_slug)
        tour_ms, tour = bench_tour(url, huts_of_tour, args.runs)
        print(f"{drawn} huts drawn (markers and clusters) of {huts[0]} active with a location; {args.runs} runs,"
              f" fresh context each, {PHONE['width']}×{PHONE['height']} phone viewport")  # fmt: skip
        print(summary("map page, all huts drawn", map_ms[1:], 1500))
        print(summary(f"hut page ({hut_slug}), loaded", hut_ms[1:], 500))
        print(
            f"tour of {TOUR_HUTS} huts ({', '.join(huts_of_tour)}) over {TOUR_WINDOW} start dates: last answer"
            f" {len(tour['tours'])} start dates that work, {len(tour['near_misses'])} near misses"
        )
        print(summary(f"GET /v1/tours, {TOUR_HUTS} huts x {TOUR_WINDOW} nights", tour_ms, 300))
        if not args.no_screenshots:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(url + "/")
            page.wait_for_selector('#map-page[data-ready]:not([data-ready=""])')
            page.locator("#hut-search").fill(hut_slug)
            page.locator("#search-results button.show-on-map").first.click()
            page.wait_for_selector(".leaflet-popup .hut-card")
            page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
            page.screenshot(path=DOCS / "web-map.png")
            page.goto(f"{url}/huts/{hut_slug}")
            page.screenshot(path=DOCS / "web-hut.png", full_page=False)
            page.goto(f"{url}/huts/{night_slug}/nights/{night.isoformat()}")
            page.screenshot(path=DOCS / "web-night.png", full_page=True)
            page.goto(f"{url}/browse?state=full&state=not_bookable_online&sort=name")
            page.screenshot(path=DOCS / "web-browse.png", full_page=False)
            last = START.date() + dt.timedelta(days=TOUR_WINDOW - 1)
            page.goto(f"{url}/tours?huts={','.join(huts_of_tour[:4])}&party=2&from={START.date()}&to={last}")
            page.screenshot(path=DOCS / "web-tours.png", full_page=False)
            print("screenshots: docs/web-map.png, docs/web-hut.png, docs/web-night.png, docs/web-browse.png,"
                  " docs/web-tours.png")  # fmt: skip
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
