"""The HTTP API over real HTTP (uvicorn on 127.0.0.1) and a real database; every response is
validated against the app's own published /openapi.json."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from jsonschema import Draft202012Validator

from hut_availability_pipeline.api import models
from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.domain.bookings import DayState, ReservationStatusEnum
from hut_availability_pipeline.serving.app import create_app
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, huts_by_slug, load_huts
from hut_availability_pipeline.storage.trends import compute_trends
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import result

SETTINGS = Settings(timezone="Europe/Zurich")
NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)  # a Friday, 14:00 in Zurich
TODAY = dt.date(2026, 7, 10)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
TARGET = dt.date(2026, 7, 20)
MAP = "/v1/availability/{date}.geojson"
DETAIL = "/v1/huts/{slug}/availability/{date}"
TREND = "/v1/huts/{slug}/availability/{date}/trend"
TRENDS = "/v1/huts/{slug}/trends/{date}"
TABLE = "/v1/availability"


def add_data(db: Database) -> None:
    """alpha (full tomorrow), bravo (no location), cabane (never checked), delta (inactive); and a
    history on TARGET for alpha: states seen 12 days, 4 days and 1 hour before NOW."""
    with db.connect(autocommit=True) as conn:
        load_huts(
            conn,
            [
                HutRecord("hrs", "3", "cabane", "Cabane C", country="CH", lat=46.1, lon=7.1, elevation=2500),
                HutRecord("hrs", "1", "alpha", "Alpha Hütte", country="AT", lat=47.25, lon=11.5, capacity=60),
                HutRecord("hrs", "2", "bravo", "Rifugio Bravo", country="IT"),
                HutRecord("hrs", "4", "delta", "Delta", lat=46.0, lon=8.0),
            ],
        )
        conn.execute("UPDATE huts SET is_active = false WHERE slug = 'delta'")
        alpha, bravo, delta = huts_by_slug(conn, ["alpha", "bravo", "delta"])
        for at, free in ((NOW - 12 * DAY, 25), (NOW - 6 * DAY, 25), (NOW - 4 * DAY, 20)):
            write_batch(conn, [result(alpha, at, [free], start=TARGET)])
        frees = [10, 0, *range(1, 19)]  # 20 days from today; TARGET (day 10) becomes 9 free
        write_batch(conn, [result(alpha, NOW - HOUR, frees, start=TODAY)])
        write_batch(conn, [result(bravo, NOW - 2 * HOUR, [30] * 5, start=TODAY)])
        write_batch(conn, [result(delta, NOW - HOUR, [1] * 5, start=TODAY)])


@contextmanager
def serving(db: Database, app: Any = None, **options: Any) -> Iterator[str]:
    """The app (default: one over `db`) under uvicorn on a free port of 127.0.0.1, in a thread;
    yields its base URL."""
    app = app or create_app(db, SETTINGS, clock=lambda: NOW, **options)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def api(db) -> Iterator[Api]:
    add_data(db)
    with serving(db) as url, httpx.Client(base_url=url) as client:
        yield Api(client)


class Api:
    """An HTTP client that checks every answer against the server's own OpenAPI description."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.openapi = client.get("/openapi.json").json()

    def get(self, template: str, *, expect: int = 200, headers: dict[str, str] | None = None, **params: Any) -> Any:
        path = {k: params.pop(k) for k in ("date", "slug") if k in params}
        response = self.client.get(template.format(**path), params=params, headers=headers)
        assert response.status_code == expect, response.text
        if expect == 304:
            assert response.content == b""
            return response
        self.validate(template, response)
        return response

    def validate(self, template: str, response: httpx.Response) -> None:
        documented = self.openapi["paths"][template]["get"]["responses"][str(response.status_code)]
        media_type = response.headers["content-type"].split(";")[0]
        schema = documented["content"][media_type]["schema"]
        validator = Draft202012Validator(
            {**schema, "components": self.openapi["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        validator.validate(response.json())


# --- the published description -------------------------------------------------------------------


def test_openapi_describes_the_endpoints_with_400_and_404(api):
    paths = api.openapi["paths"]
    forecast = {"/v1/huts/{slug}/forecast", "/v1/huts/{slug}/forecast/{date}"}  # api/test_forecast.py
    assert set(paths) == {MAP, DETAIL, TREND, TRENDS, TABLE, *forecast, "/v1/tours"}
    for template in paths:
        responses = paths[template]["get"]["responses"]
        assert {"200", "400"} <= set(responses) and "422" not in responses
        assert ("404" in responses) == (template != TABLE)  # the table names no hut
        assert set(responses["200"]["headers"]) == {"Cache-Control", "ETag", "Last-Modified"}
    assert set(paths[MAP]["get"]["responses"]["200"]["content"]) == {"application/geo+json"}
    assert set(paths[MAP]["get"]["responses"]["404"]["content"]) == {"application/json"}
    for template in (MAP, DETAIL, TREND, TRENDS):
        [date] = [p for p in paths[template]["get"]["parameters"] if p["name"] == "date"]
        pattern = re.compile(date["schema"]["pattern"])
        assert [bool(pattern.match(d)) for d in ("2028-02-29", "today", "weekend", "2026-02-29", "0000-01-01")] == [
            True, True, True, False, False
        ]  # fmt: skip
    schemas = api.openapi["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "full" in schemas["OccupancyStatusEnum"]["enum"]  # hut-services' enums


# --- the map ---------------------------------------------------------------------------------------


def test_geojson_of_every_active_hut_in_slug_order(api):
    response = api.get(MAP, date="2026-07-10")
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["alpha", "bravo", "cabane"]
    assert (body["date_from"], body["date_to"], body["number_matched"], body["number_returned"]) == (
        "2026-07-10", "2026-07-13", 3, 3
    )  # fmt: skip
    alpha, bravo, cabane = body["features"]
    # the SQL-built GeoJSON has exactly the models' keys (the schema alone allows extra ones)
    assert set(alpha) == set(models.HutFeature.model_fields)
    assert set(alpha["properties"]) == set(models.HutProperties.model_fields)
    assert set(alpha["properties"]["days"][0]) == set(models.Day.model_fields)
    assert set(body) == set(models.HutFeatureCollection.model_fields)
    assert alpha["geometry"] == {"type": "Point", "coordinates": [11.5, 47.25]}  # lon, lat
    props = alpha["properties"]
    assert (props["name"], props["capacity"], props["source"], props["source_hut_id"]) == (
        "Alpha Hütte",
        60,
        "hrs",
        "1",
    )
    assert [(d["date"], d["free"], d["occupancy_status"]) for d in props["days"][:2]] == [
        ("2026-07-10", 10, "high"), ("2026-07-11", 0, "full")
    ]  # fmt: skip
    assert dt.datetime.fromisoformat(props["days"][0]["last_checked"]) == NOW - HOUR
    assert bravo["geometry"] is None and len(bravo["properties"]["days"]) == 4
    assert cabane["properties"]["days"] == []


def test_geojson_days_words_slugs_and_paging(api):
    def ids_and_days(date: str, **params: Any) -> list[tuple[str, list[str]]]:
        body = api.get(MAP, date=date, **params).json()
        return [(f["id"], [d["date"] for d in f["properties"]["days"]]) for f in body["features"]]

    assert ids_and_days("tomorrow", days=1, slugs="alpha") == [("alpha", ["2026-07-11"])]
    assert ids_and_days("weekend", days=2, slugs="cabane,alpha") == [
        ("alpha", ["2026-07-11", "2026-07-12"]), ("cabane", [])
    ]  # fmt: skip
    assert ids_and_days("today", days=1, slugs="alpha,delta") == [("alpha", ["2026-07-10"])]  # delta: inactive
    assert ids_and_days("today", days=1, limit=2) == [("alpha", ["2026-07-10"]), ("bravo", ["2026-07-10"])]
    assert [f for f, _ in ids_and_days("today", days=1, slugs=" ,")] == ["alpha", "bravo", "cabane"]  # no filter
    assert ids_and_days("today", days=1, slugs="alpha,alpha, alpha") == [("alpha", ["2026-07-10"])]
    page = api.get(MAP, date="today", offset=2, limit=2).json()
    assert [f["id"] for f in page["features"]] == ["cabane"]
    assert (page["number_matched"], page["number_returned"], page["offset"], page["limit"]) == (3, 1, 2, 2)


def test_a_range_past_the_calendars_end_ends_there(api):
    body = api.get(MAP, date="9999-12-30", days=5).json()
    assert (body["date_from"], body["date_to"]) == ("9999-12-30", "9999-12-31")
    assert api.get(DETAIL, slug="alpha", date="9999-12-31").json()["date_to"] == "9999-12-31"


def test_geojson_empty_results(api, db):
    past_the_end = api.get(MAP, date="today", offset=10).json()
    assert past_the_end["features"] == [] and past_the_end["number_matched"] == 3
    far = api.get(MAP, date="2030-01-01").json()
    assert [f["properties"]["days"] for f in far["features"]] == [[], [], []]
    assert "Last-Modified" not in api.get(MAP, date="2030-01-01").headers  # nothing checked: no date


def test_geojson_of_an_empty_database(db):
    with serving(db) as url, httpx.Client(base_url=url) as client:
        api = Api(client)
        body = api.get(MAP, date="today").json()
    assert body["features"] == [] and body["number_matched"] == 0


# --- one hut ---------------------------------------------------------------------------------------


def test_hut_availability_with_links_and_checks(api):
    body = api.get(DETAIL, slug="alpha", date="today").json()
    assert body["hut"]["slug"] == "alpha" and (body["hut"]["lat"], body["hut"]["lon"]) == (47.25, 11.5)
    assert (body["date_from"], body["date_to"]) == ("2026-07-10", "2026-07-23")
    assert len(body["days"]) == 14
    day = body["days"][1]
    assert (day["date"], day["free"], day["total"], day["reservation_status"]) == ("2026-07-11", 0, 40, "not_possible")
    assert day["link"] == "https://www.hut-reservation.org/reservation/book-hut/1/wizard"
    assert dt.datetime.fromisoformat(day["first_checked"]) == NOW - HOUR
    target = body["days"][10]
    assert target["date"] == TARGET.isoformat() and dt.datetime.fromisoformat(target["first_checked"]) == NOW - HOUR
    short = api.get(DETAIL, slug="delta", date="2026-07-11", days=2).json()  # inactive huts keep their page
    assert [d["date"] for d in short["days"]] == ["2026-07-11", "2026-07-12"]
    assert api.get(DETAIL, slug="cabane", date="today").json()["days"] == []


def test_a_night_sold_out_online_is_served_as_what_it_is_everywhere(db):
    """bravo's third night goes from 30 free to not bookable online (no numbers): the map, the hut's
    page and the trend say so, never showing it as bookable."""
    add_data(db)
    with db.connect(autocommit=True) as conn:
        [bravo] = huts_by_slug(conn, ["bravo"])
        sold_out = {"total": 0, "status": ReservationStatusEnum.not_possible, "state": DayState.not_bookable_online}
        write_batch(conn, [result(bravo, NOW - HOUR, [None], start=TODAY + 2 * DAY, **sold_out)])
    with serving(db) as url, httpx.Client(base_url=url) as client:
        api = Api(client)
        features = api.get(MAP, date="today", days=5).json()["features"]
        days = next(f for f in features if f["id"] == "bravo")["properties"]["days"]
        night = days[2]
        assert (night["date"], night["day_state"], night["free"], night["total"]) == (
            (TODAY + 2 * DAY).isoformat(), "not_bookable_online", None, 0
        )  # fmt: skip
        assert (night["reservation_status"], night["occupancy_status"]) == ("not_possible", "unknown")
        assert [d["day_state"] for d in days] == ["bookable", "bookable", "not_bookable_online", "bookable", "bookable"]
        detail = api.get(DETAIL, slug="bravo", date="today", days=5).json()["days"]
        assert [d["day_state"] for d in detail] == [d["day_state"] for d in days]
        trend = api.get(TREND, slug="bravo", date=(TODAY + 2 * DAY).isoformat(), days_before=7).json()["states"]
        assert [(s["day_state"], s["free"], s["is_current"]) for s in trend] == [
            ("bookable", 30, False), ("not_bookable_online", None, True)
        ]  # fmt: skip


# --- trend -----------------------------------------------------------------------------------------


def test_trend_window_includes_the_state_in_force_when_it_opened_and_todays_change(api):
    body = api.get(TREND, slug="alpha", date=TARGET.isoformat(), days_before=5).json()
    assert (body["date"], body["days_before"]) == (TARGET.isoformat(), 5)
    assert dt.datetime.fromisoformat(body["window_start"]) == NOW - 5 * DAY
    assert dt.datetime.fromisoformat(body["window_end"]) == NOW
    # 25 (seen 12 days ago, last confirmed 6 days ago, replaced 4 days ago), 20, and today's 9
    assert [s["free"] for s in body["states"]] == [25, 20, 9]
    first, _, last = body["states"]
    assert dt.datetime.fromisoformat(first["last_checked"]) == NOW - 6 * DAY
    assert first["duration_seconds"] == 6 * 86400 and not first["is_current"]
    assert dt.datetime.fromisoformat(first["superseded_at"]) == NOW - 4 * DAY
    assert last["is_current"] and last["superseded_at"] is None
    assert [
        s["free"] for s in api.get(TREND, slug="alpha", date=TARGET.isoformat(), days_before=0).json()["states"]
    ] == [9]
    default = api.get(TREND, slug="alpha", date=TARGET.isoformat()).json()  # 14 days: all three
    assert (default["days_before"], len(default["states"])) == (14, 3)
    assert api.get(TREND, slug="cabane", date="today").json()["states"] == []


# --- derived trends --------------------------------------------------------------------------------


def test_trends_of_a_huts_nights_as_derived(api, db):
    assert api.get(TRENDS, slug="alpha", date="today").json()["nights"] == []  # not derived yet
    with db.connect() as conn:
        compute_trends(conn, NOW, "Europe/Zurich")
        conn.commit()
    body = api.get(TRENDS, slug="alpha", date="today", days=11).json()
    assert (body["hut"]["slug"], body["date_from"], body["date_to"]) == ("alpha", "2026-07-10", "2026-07-20")
    nights = {n["date"]: n for n in body["nights"]}
    assert len(nights) == 11
    tomorrow = nights["2026-07-11"]
    # full from its first check, never seen with places: sold out, but it never *became* full (issue #19)
    assert (tomorrow["is_full"], tomorrow["days_before_full"], tomorrow["day_state"]) == (True, None, "full")
    assert tomorrow["became_full_at"] is None
    target = nights[TARGET.isoformat()]
    # 25 free until 4 days ago (6 July), then 20, and 9 since an hour ago: the 7 days 4-10 July
    assert target["booked_per_day"] == [0, 0, 5, 0, 0, 0, 11] and target["booked_last_week"] == 16
    assert (target["free_week_ago"], target["occupancy_week_ago"], target["is_full"]) == (25, 37.5, False)
    assert api.get(TRENDS, slug="bravo", date="2030-01-01").json()["nights"] == []
    assert "no hut with slug 'nope'" in api.get(TRENDS, slug="nope", date="today", expect=404).json()["detail"]


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "params", "message"),
    [
        (MAP, {"date": "someday"}, "bad date 'someday': use YYYY-MM-DD or one of today, tomorrow, weekend"),
        (MAP, {"date": "2026-02-30"}, "bad date '2026-02-30'"),
        (MAP, {"date": "today", "days": 0}, "days: Input should be greater than or equal to 1"),
        (MAP, {"date": "today", "days": 32}, "days: Input should be less than or equal to 31"),
        (MAP, {"date": "today", "days": "four"}, "days: Input should be a valid integer"),
        (MAP, {"date": "today", "offset": -1}, "offset:"),
        (MAP, {"date": "today", "offset": 10**30}, "offset:"),
        (MAP, {"date": "today", "limit": 0}, "limit:"),
        (DETAIL, {"slug": "alpha", "date": "2026-13-01"}, "bad date '2026-13-01'"),
        (DETAIL, {"slug": "alpha", "date": "today", "days": 400}, "days:"),
        (TREND, {"slug": "alpha", "date": "next week"}, "bad date 'next week'"),
        (TREND, {"slug": "alpha", "date": "today", "days_before": -1}, "days_before:"),
    ],
)
def test_bad_requests_get_400_with_a_message(api, template, params, message):
    response = api.get(template, expect=400, **params)
    assert message in response.json()["detail"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("template", "params", "message"),
    [
        (DETAIL, {"slug": "nope", "date": "today"}, "no hut with slug 'nope'"),
        (DETAIL, {"slug": "Bad Slug%00", "date": "today"}, "no hut with slug"),
        (TREND, {"slug": "nope", "date": "today"}, "no hut with slug 'nope'"),
        (MAP, {"date": "today", "slugs": "alpha,nope,zz"}, "no hut with slugs 'nope', 'zz'"),
        (MAP, {"date": "today", "slugs": "x\x00y"}, "no hut with slug"),
    ],
)
def test_unknown_huts_get_404_with_a_message(api, template, params, message):
    assert message in api.get(template, expect=404, **params).json()["detail"]


# --- caching ---------------------------------------------------------------------------------------


def test_cache_headers_and_conditional_requests(api):
    response = api.get(MAP, date="2026-07-10")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["last-modified"] == "Fri, 10 Jul 2026 11:00:00 GMT"  # the newest check
    etag = response.headers["etag"]
    assert api.get(MAP, date="2026-07-10").headers["etag"] == etag  # deterministic
    assert api.get(MAP, date="2026-07-10", days=2).headers["etag"] != etag
    not_modified = api.get(MAP, date="2026-07-10", expect=304, headers={"If-None-Match": etag})
    assert not_modified.headers["etag"] == etag and not_modified.headers["cache-control"] == "public, max-age=300"
    api.get(MAP, date="2026-07-10", expect=304, headers={"If-None-Match": f'"other", W/{etag}'})
    api.get(MAP, date="2026-07-10", headers={"If-None-Match": '"other"'})
    since = {"If-Modified-Since": "Fri, 10 Jul 2026 11:00:00 GMT"}
    api.get(DETAIL, slug="alpha", date="today", expect=304, headers=since)
    api.get(DETAIL, slug="alpha", date="today", headers={"If-Modified-Since": "Fri, 10 Jul 2026 10:59:59 GMT"})
    api.get(DETAIL, slug="alpha", date="today", headers={"If-Modified-Since": "garbage"})
    trend = api.get(TREND, slug="alpha", date=TARGET.isoformat())
    assert trend.headers["last-modified"] == "Fri, 10 Jul 2026 11:00:00 GMT"


# --- concurrency and read-only sessions ------------------------------------------------------------


def test_concurrent_clients_share_a_small_pool(db):
    add_data(db)
    with serving(db, pool_size=2) as url, httpx.Client(base_url=url) as client:
        api = Api(client)
        paths = [MAP.format(date="today"), DETAIL.format(slug="alpha", date="today"),
                 TREND.format(slug="alpha", date=TARGET.isoformat())] * 8  # fmt: skip

        def fetch(path: str) -> int:
            with httpx.Client(base_url=url) as own:
                return own.get(path).status_code

        with ThreadPoolExecutor(max_workers=6) as clients:
            statuses = list(clients.map(fetch, paths))
        assert statuses == [200] * len(paths)
        assert api.get(MAP, date="today").json()["number_matched"] == 3


def test_api_connections_are_read_only(db):
    app = create_app(db, SETTINGS, pool_size=1)
    pool = app.state.pool
    with pool.connection() as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE huts SET name = 'x'")
    with pool.connection() as again:
        assert again is conn  # reused after the failed statement
        assert again.execute("SHOW statement_timeout").fetchone() == ("15s",)
    pool.close()


def test_a_request_that_finds_every_connection_busy_gets_503(db):
    """psycopg_pool's timeout becomes a 503 with a message, not a hang or a 500."""
    add_data(db)
    app = create_app(db, SETTINGS, clock=lambda: NOW, pool_size=1)
    app.state.pool.timeout = 0.5
    with serving(db, app) as url, app.state.pool.connection():  # the only connection is taken
        response = httpx.get(url + MAP.format(date="today"))
    assert response.status_code == 503
    assert "retry later" in response.json()["detail"]


def test_hut_availability_serve_command(db, tmp_path):
    """`hut-availability serve` of the main CLI, in its own process, on 127.0.0.1."""
    add_data(db)
    params = psycopg.conninfo.conninfo_to_dict(db.conninfo)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{params['user']}@/{params['dbname']}?host={params['host']}&port={params['port']}",
        "HUT_AVAILABILITY_HOME": str(tmp_path),
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "hut_availability_pipeline.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/huts/alpha/availability/2026-07-11?days=1")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["days"][0]["free"] == 0
    finally:
        process.terminate()
        process.wait(10)


def test_docs_page_works_offline_with_assets_served_locally(api):
    """/docs references nothing outside the server (no CDN), and every asset it needs is served."""
    page = api.client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls += re.findall(r"""url: *["']([^"']+)["']""", page.text)
    assert "/openapi.json" in urls
    assert [u for u in urls if u.startswith(("http:", "https:", "//"))] == []
    assets = {u for u in urls if u != "/openapi.json"}
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= assets
    for url in assets:
        response = api.client.get(url)
        assert response.status_code == 200, url
    script = api.client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert len(script.content) > 500_000 and b"SwaggerUIBundle" in script.content
    assert "/docs" not in api.openapi["paths"] and api.client.get("/redoc").status_code == 404
