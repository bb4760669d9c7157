"""The web front end in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium,
never a downloaded browser) against the app on 127.0.0.1 over a simulator-fed database. Every
page must render without a page error or console error, and request nothing from another host
(but the map's tiles, from a tile server of the test's own on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import shutil
import socket
import struct
import threading
import unicodedata
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from babel.dates import format_date

from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.serving.app import create_app

from ..api.test_api import serving
from ..api.test_tours import expected_tour
from ..web.test_pages import changed_night
from ..web_site import IMG_NAME, SCRIPT_NAME, Site, simulated_site

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium; skips without one, but fails in CI (`CI` or HUT_AVAILABILITY_REQUIRE_BROWSER
    set: `.ci/run` installs it)."""
    path = os.environ.get("HUT_AVAILABILITY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    message = f"no Chromium at {path}: install Debian's (apt-get install chromium)"
    if os.environ.get("CI") or os.environ.get("HUT_AVAILABILITY_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create())


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:
    """The app without map tiles: its pages request nothing from another host."""
    app = create_app(site.db, Settings(timezone="Europe/Zurich", map_tiles="none"), clock=site.clock)
    with serving(site.db, app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose errors, console errors, dialogs and requests to other hosts are collected."""

    def __init__(self, page, base_url: str, allowed: tuple[str, ...] = ()) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        own = (urlsplit(base_url).netloc, *allowed)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r):
            if urlsplit(r.request.url).netloc not in (*own, ""):
                self.foreign.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        page.route("**/*", route)

    def clean(self) -> None:
        assert self.errors == [] and self.dialogs == [] and self.foreign == []
        assert self.page.evaluate("window.__xss") is None


@pytest.fixture
def page(browser, base_url) -> Iterator[Watched]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page(), base_url)
    yield watched
    context.close()


def wait_for_map(page, night: str) -> None:
    page.wait_for_selector(f'#map-page[data-ready="{night}"]', timeout=10_000)


# the huts the map represents: each marker's hut, and each cluster's count
DRAWN = """() => {
  const markers = [...document.querySelectorAll('.leaflet-marker-icon.hut-marker')].map(m => m.dataset.slug);
  const clustered = [...document.querySelectorAll('.marker-cluster span')]
    .reduce((n, s) => n + Number(s.textContent), 0);
  return {markers, clustered};
}"""


def view_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def hut_location(site, slug: str) -> tuple[float, float]:
    with site.db.connect() as conn:
        row = conn.execute("SELECT lat, lon FROM huts WHERE slug = %s", (slug,)).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


def test_map_shows_every_loaded_hut_and_search_leads_to_the_hut(page, site):
    p = page.page
    p.goto("/")
    night = site.now.date().isoformat()
    wait_for_map(p, night)
    drawn = p.evaluate(DRAWN)
    assert len(drawn["markers"]) + drawn["clustered"] == len(site.slugs)  # every hut: a marker or in a cluster
    assert p.locator("#summary").inner_text().startswith(f"{len(site.slugs)} huts on {night}")
    assert p.locator("#in-view-count").inner_text() == str(len(site.slugs))
    # the huts are asked for once: the page's preload is what map.js uses
    asked = p.evaluate("performance.getEntriesByType('resource').filter(e => e.name.includes('.geojson')).length")
    assert asked == 1
    slug = site.slugs[5]
    with site.db.connect() as conn:
        name = conn.execute("SELECT name FROM huts WHERE slug = %s", (slug,)).fetchone()[0]
    # part of the name, in another case and without its accents
    folded = unicodedata.normalize("NFD", name[2:9]).encode("ascii", "ignore").decode().upper()
    p.locator("#hut-search").fill(folded)
    result = p.locator(f'#search-results a[data-slug="{slug}"]')
    assert result.inner_text() == name
    p.locator("#search-results li", has=p.locator(f'a[data-slug="{slug}"]')).locator("button.show-on-map").click()
    p.wait_for_selector(".leaflet-popup .hut-card")
    assert p.locator(".leaflet-popup .hut-card h2").inner_text() == name
    p.locator(".leaflet-popup .card-hut").click()
    p.wait_for_url(f"**/huts/{slug}")
    assert p.locator("#calendar td.night a").count() >= 30
    page.clean()


def test_search_ignores_case_and_accents(page):
    p = page.page
    p.goto("/tours")
    huts = [
        {"slug": "konkordiahutte-sac", "name": "Konkordiahütte SAC"},
        {"slug": "cabane-des-cles", "name": "Cabane des Clés"},
        {"slug": "capanna-basodino-robiei-cas", "name": "Capanna Basòdino (Robiei) CAS"},
        {"slug": "hutte-am-konkordiaplatz", "name": "Hütte am Konkordiaplatz"},
    ]

    def find(query: str) -> list[str]:
        return p.evaluate("([huts, q]) => HutSearch.find(huts, q).map(h => h.name)", [huts, query])

    assert find("konkordia") == ["Konkordiahütte SAC", "Hütte am Konkordiaplatz"]  # the name's start first
    assert find("CLES") == ["Cabane des Clés"] and find("clés") == ["Cabane des Clés"]
    assert find("basodino") == ["Capanna Basòdino (Robiei) CAS"] and find("HUTTE AM") == ["Hütte am Konkordiaplatz"]
    assert find("  ") == [] and find("zzz") == []
    page.clean()


def test_zoom_by_the_controls_and_the_wheel_and_the_view_in_the_address(page, site):
    p = page.page
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    zoom = int(view_of(p.url)["zoom"])
    p.locator(".leaflet-control-zoom-in").click()
    p.wait_for_function(f"() => new URLSearchParams(location.search).get('zoom') === '{zoom + 1}'")
    box = p.locator("#map").bounding_box()
    p.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    p.mouse.wheel(0, -400)
    p.wait_for_function(f"() => Number(new URLSearchParams(location.search).get('zoom')) > {zoom + 1}")
    wheeled = int(view_of(p.url)["zoom"])
    p.locator(".leaflet-control-zoom-out").click()
    # the zoom-out has ended (the address follows at its end) before the keyboard pans
    p.wait_for_function(f"() => new URLSearchParams(location.search).get('zoom') === '{wheeled - 1}'")
    # panning by keyboard moves the centre
    before = view_of(p.url)
    p.locator("#map").focus()
    p.keyboard.press("ArrowRight")
    p.wait_for_function(f"() => new URLSearchParams(location.search).get('lon') !== '{before['lon']}'")
    # a shared view opens where it was
    shared = view_of(p.url)
    p.goto(f"/?date={shared['date']}&party=3&lat={shared['lat']}&lon={shared['lon']}&zoom={shared['zoom']}")
    wait_for_map(p, shared["date"])
    again = view_of(p.url)
    assert (again["lat"], again["lon"], again["zoom"], again["party"]) == (
        shared["lat"],
        shared["lon"],
        shared["zoom"],
        "3",
    )
    assert p.locator("#party").input_value() == "3"
    page.clean()


def test_every_hut_is_reachable_by_keyboard(page, site):
    p = page.page
    slug = site.slugs[5]
    lat, lon = hut_location(site, slug)
    p.goto(f"/?lat={lat}&lon={lon}&zoom=15")
    wait_for_map(p, site.now.date().isoformat())
    marker = p.locator(f'.hut-marker[data-slug="{slug}"]')
    assert marker.get_attribute("tabindex") == "0" and marker.get_attribute("role") == "button"
    marker.focus()
    p.keyboard.press("Enter")
    p.wait_for_selector(".leaflet-popup .hut-card")
    assert p.locator(".leaflet-popup .card-hut").get_attribute("href") == f"/huts/{slug}"
    # the list of the huts in view: links, Enter opens the hut
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    p.locator("#in-view-box summary").focus()
    p.keyboard.press("Enter")
    link = p.locator(f'#in-view a[data-slug="{slug}"]')
    link.focus()
    p.keyboard.press("Enter")
    p.wait_for_url(f"**/huts/{slug}")
    page.clean()


def test_on_a_phone_the_map_fills_the_width_and_markers_can_be_tapped(browser, base_url, site):
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = Watched(context.new_page(), base_url)
    p = page.page
    slug = site.slugs[5]
    lat, lon = hut_location(site, slug)
    p.goto(f"/?lat={lat}&lon={lon}&zoom=15")
    wait_for_map(p, site.now.date().isoformat())
    assert p.evaluate("document.documentElement.scrollWidth") <= 390  # nothing scrolls sideways
    box = p.locator("#map").bounding_box()
    assert box["width"] == 390 and box["height"] >= 400, box  # edge to edge
    marker = p.locator(f'.hut-marker[data-slug="{slug}"]')
    size = marker.bounding_box()
    assert size["width"] >= 18 and size["height"] >= 18  # a finger's target
    marker.tap()
    p.wait_for_selector(".leaflet-popup .hut-card")
    # two fingers moving apart zoom in (touch events as the phone sends them, through Chromium's CDP)
    zoom = int(view_of(p.url)["zoom"])
    cdp = context.new_cdp_session(p)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.75

    def fingers(kind: str, spread: float) -> None:
        points = (
            [] if kind == "touchEnd" else [{"x": cx - spread, "y": cy, "id": 1}, {"x": cx + spread, "y": cy, "id": 2}]
        )
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    fingers("touchStart", 20)
    for spread in range(30, 161, 10):
        fingers("touchMove", spread)
    fingers("touchEnd", 0)
    p.wait_for_function(f"() => Number(new URLSearchParams(location.search).get('zoom')) > {zoom}")
    page.clean()
    context.close()


def test_the_night_and_party_change_the_map(page, site):
    p = page.page
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    p.locator("#next").click()
    tomorrow = site.now.date().toordinal() + 1
    night = type(site.now.date()).fromordinal(tomorrow).isoformat()
    wait_for_map(p, night)
    assert f"date={night}" in p.url
    few = p.locator("#in-view li").count() - p.evaluate(ENOUGH)
    p.locator("#party").fill("25")
    p.locator("#party").dispatch_event("change")
    p.wait_for_function("() => document.querySelector('#summary').textContent.includes('at least 25')")
    wait_for_map(p, night)
    assert p.locator("#in-view li").count() - p.evaluate(ENOUGH) > few
    assert "party=25" in p.url and "party=25" in p.locator("#tour-link").get_attribute("href")
    page.clean()


ENOUGH = "() => Number(document.querySelector('#summary').textContent.split(', ')[1].split(' ')[0])"


def test_a_changed_night_shows_two_states_and_a_curve(page, site):
    p = page.page
    slug, night = changed_night(site)
    p.goto(f"/huts/{slug}")
    p.locator(f'#calendar a[href="/huts/{slug}/nights/{night.isoformat()}"]').click()
    p.wait_for_url(f"**/nights/{night.isoformat()}")
    assert p.locator("#states tbody tr").count() == 2
    assert p.locator("#curve path.line").get_attribute("d").startswith("M")
    assert p.locator("#curve circle.point").count() == 2
    assert p.locator("#curve").bounding_box()["height"] > 100
    page.clean()


def test_filters_narrow_the_table(page, site):
    p = page.page
    last = site.now.date().replace(day=28).isoformat()
    p.goto(f"/browse?to={last}")
    matched = int(p.locator("#matched").inner_text().split()[0])
    assert matched > 100
    p.locator('input[name="state"][value="full"]').check()
    p.locator("#apply").click()
    p.wait_for_url("**state=full**")
    full = int(p.locator("#matched").inner_text().split()[0])
    assert 0 < full < matched
    assert set(p.locator("#table td.state").all_inner_texts()) == {"full"}
    p.locator("#search").fill(site.slugs[3][:6])
    p.locator('input[name="state"][value="full"]').uncheck()
    p.locator("#apply").click()
    p.wait_for_url("**q=**")
    names = set(p.locator("#table a.hut").all_inner_texts())
    assert 0 < int(p.locator("#matched").inner_text().split()[0]) < matched and len(names) >= 1
    p.locator('a.sort[data-key="free"]').click()
    p.wait_for_url("**sort=free**")
    page.clean()


def test_huts_named_with_html_and_script_show_as_text_and_run_nothing(page, site):
    p = page.page
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    for slug, name in ((site.script_slug, SCRIPT_NAME), (site.img_slug, IMG_NAME)):
        p.locator("#hut-search").fill(slug)
        p.locator(f'#search-results a[data-slug="{slug}"]').wait_for()
        assert p.locator(f'#search-results a[data-slug="{slug}"]').inner_text() == name
    for slug, name in ((site.script_slug, SCRIPT_NAME), (site.img_slug, IMG_NAME)):
        lat, lon = hut_location(site, slug)
        p.goto(f"/?lat={lat}&lon={lon}&zoom=16")
        wait_for_map(p, site.now.date().isoformat())
        marker = p.locator(f'.hut-marker[data-slug="{slug}"]')
        assert marker.get_attribute("aria-label").startswith(name) and marker.get_attribute("title").startswith(name)
        marker.click()
        heading = p.locator(".leaflet-popup .hut-card h2").filter(has_text=name)
        heading.wait_for()
        assert heading.inner_text() == name
        assert heading.locator("*").count() == 0  # text, no element
    for slug, name in ((site.script_slug, SCRIPT_NAME), (site.img_slug, IMG_NAME)):
        p.goto(f"/huts/{slug}")
        assert p.locator("#hut-name").inner_text() == name
        p.goto(f"/browse?q={slug}")
        assert name in p.locator("#table").inner_text()
        assert p.locator("#table img").count() == 0
    page.clean()


# ---- the base map's tiles ------------------------------------------------------------------------


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour PNG (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


TILE_PNG = _png(256, 256, (200, 220, 190))


class TileServer:
    """A tiny tile server on 127.0.0.1: a PNG for every /tiles/{z}/{x}/{y}.png, each path recorded."""

    def __init__(self) -> None:
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requested.append(self.path)
                parts = self.path.split("/")
                if len(parts) == 5 and parts[1] == "tiles" and parts[4].endswith(".png"):
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(TILE_PNG)))
                    self.end_headers()
                    self.wfile.write(TILE_PNG)
                else:
                    self.send_error(404)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.template = f"http://{self.host}/tiles/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    with TileServer() as server:
        yield server


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    """Web Mercator: the tile (x, y) at zoom z holding a point, and the point's place in it (0..1)."""
    n = 2**z
    x = (lon + 180) / 360 * n
    phi = math.radians(lat)
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n
    return int(x), int(y), x - int(x), y - int(y)


TILES = "() => [...document.querySelectorAll('img.leaflet-tile')]"
LOADED = (
    f"() => {{ const t = ({TILES})(); return t.length > 0 && t.every(i => i.complete && i.naturalWidth === 256); }}"
)
FAILED = f"() => {{ const t = ({TILES})(); return t.length > 0 && t.every(i => i.complete && i.naturalWidth === 0); }}"


def test_tiles_from_the_tile_server_are_drawn_beneath_the_huts_in_their_projection(browser, site, tile_server):
    settings = Settings(timezone="Europe/Zurich", map_tiles=tile_server.template)
    with serving(site.db, create_app(site.db, settings, clock=site.clock)) as url:
        response = httpx.get(url + "/")
        images = next(d for d in response.headers["content-security-policy"].split("; ") if d.startswith("img-src"))
        assert images == f"img-src 'self' data: http://{tile_server.host}"
        context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
        page = Watched(context.new_page(), url, (tile_server.host,))
        p = page.page
        slug = site.slugs[5]
        lat, lon = hut_location(site, slug)
        z = 12
        before = len(tile_server.requested)
        p.goto(f"/?lat={lat}&lon={lon}&zoom={z}")
        wait_for_map(p, site.now.date().isoformat())
        p.wait_for_function(LOADED)
        shown = p.evaluate(f"() => ({TILES})().map(t => new URL(t.src).pathname)")
        asked = tile_server.requested[before:]
        assert sorted(set(asked)) == sorted(shown) and len(asked) == len(shown)  # each tile once, and only those
        assert 4 <= len(shown) <= 40
        assert p.locator("#attribution").inner_text() == "© OpenStreetMap contributors"
        # beneath the huts: the hut's marker is what is at its centre, over a tile
        box = p.locator(f'.hut-marker[data-slug="{slug}"]').bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        assert p.evaluate(f"document.elementFromPoint({cx}, {cy}).dataset.slug") == slug
        # in the map's projection: the marker sits where Web Mercator puts the hut in its tile
        tx, ty, fx, fy = _tile_of(lon, lat, z)
        assert f"/tiles/{z}/{tx}/{ty}.png" in shown, "the hut's tile is not drawn"
        tile = p.locator(f'img.leaflet-tile[src$="/tiles/{z}/{tx}/{ty}.png"]').bounding_box()
        assert abs(tile["x"] + fx * tile["width"] - cx) < 1.5 and abs(tile["y"] + fy * tile["height"] - cy) < 1.5
        # another night: the same view, the same tiles, not asked again
        asked_before = len(tile_server.requested)
        p.locator("#next").click()
        wait_for_map(p, (site.now.date().fromordinal(site.now.date().toordinal() + 1)).isoformat())
        assert len(tile_server.requested) == asked_before
        page.clean()
        context.close()


def test_an_unreachable_tile_server_leaves_the_huts_on_an_empty_background(browser, site):
    template = f"http://127.0.0.1:{_closed_port()}/tiles/{{z}}/{{x}}/{{y}}.png"
    settings = Settings(timezone="Europe/Zurich", map_tiles=template)
    with serving(site.db, create_app(site.db, settings, clock=site.clock)) as url:
        context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
        page = Watched(context.new_page(), url, (urlsplit(template).netloc,))
        p = page.page
        slug = site.slugs[5]
        lat, lon = hut_location(site, slug)
        p.goto(f"/?lat={lat}&lon={lon}&zoom=13")
        wait_for_map(p, site.now.date().isoformat())
        p.wait_for_function(FAILED)  # every tile failed
        p.locator(f'.hut-marker[data-slug="{slug}"]').click()
        p.wait_for_selector(".leaflet-popup .hut-card")
        # the browser itself logs each refused tile ("Failed to load resource"); nothing else may fail
        page.errors = [e for e in page.errors if not e.startswith("console: Failed to load resource")]
        page.clean()
        context.close()


def test_without_tiles_no_tile_is_asked_for(page, site, tile_server):
    before = len(tile_server.requested)
    p = page.page
    p.goto("/")
    wait_for_map(p, site.now.date().isoformat())
    assert p.locator("img.leaflet-tile").count() == 0 and p.locator("#attribution").count() == 0
    assert len(tile_server.requested) == before
    page.clean()  # and no request to any other host


# ---- the tour planner and the languages ----------------------------------------------------------


def test_the_planner_finds_the_start_dates_the_test_computes(page, site):
    first = site.now.date()
    last = first + dt.timedelta(days=20)
    tour = next(
        e
        for party, huts in itertools.product((4, 2, 8, 1), itertools.combinations(site.slugs[2:], 3))
        if (e := expected_tour(site, list(huts), party, first, last)).fits and e.near
    )
    p = page.page
    p.goto("/")
    wait_for_map(p, first.isoformat())
    p.locator("#party").fill(str(tour.party))
    p.locator("#party").dispatch_event("change")
    wait_for_map(p, first.isoformat())
    p.locator("#tour-link").click()  # the planner, linked from the map with its party and night
    p.wait_for_url("**/tours?**")
    assert p.locator("#tour-party").input_value() == str(tour.party)
    assert p.locator("#tour-from").input_value() == first.isoformat()
    with site.db.connect() as conn:
        names = dict(conn.execute("SELECT slug, name FROM huts WHERE slug = ANY(%s)", (tour.huts,)).fetchall())
    for slug in reversed(tour.huts):  # picked in the wrong order, then put right
        p.locator("#tour-search").fill(names[slug][:6].lower())
        p.locator("#tour-search-results li", has=p.locator(f'[data-slug="{slug}"]')).locator("button.add").click()
    assert p.locator("#tour-slugs").input_value() == ",".join(reversed(tour.huts))
    p.locator(f'#tour-huts li[data-slug="{tour.huts[0]}"] button.up').click()
    p.locator(f'#tour-huts li[data-slug="{tour.huts[0]}"] button.up').click()
    p.locator(f'#tour-huts li[data-slug="{tour.huts[2]}"] button.down').click()
    assert p.locator("#tour-slugs").input_value() == ",".join(tour.huts)
    assert p.locator("#tour-huts li .name").all_inner_texts() == [names[s] for s in tour.huts]
    p.locator("#tour-to").fill(last.isoformat())
    p.locator("#tour-submit").click()
    p.wait_for_selector("#tour-result")
    fits = p.locator("#fits tbody tr").evaluate_all("rs => rs.map(r => r.dataset.start)")
    near = p.locator("#near-misses tbody tr").evaluate_all("rs => rs.map(r => r.dataset.start)")
    assert fits == [d.isoformat() for d in tour.fits]
    assert near == [d.isoformat() for d in sorted(tour.near)]
    failing = p.locator("#near-misses td.fails").evaluate_all("cs => cs.map(c => [c.dataset.hut, c.dataset.date])")
    assert failing == [[h, d.isoformat()] for h, d in (tour.near[s] for s in sorted(tour.near))]
    assert p.locator("#fits td.fits a.book").count() == len(tour.fits) * 3
    page.clean()


def test_the_language_follows_the_browser_and_can_be_switched(browser, base_url, site):
    context = browser.new_context(base_url=base_url, locale="de-CH", viewport={"width": 1280, "height": 900})
    page = Watched(context.new_page(), base_url)
    p = page.page
    night = site.now.date().isoformat()
    p.goto("/")
    wait_for_map(p, night)
    assert p.locator("html").get_attribute("lang") == "de"
    assert p.locator("#summary").inner_text().startswith(f"{len(site.slugs)} Hütten am {night}")
    assert p.locator(".leaflet-control-zoom-in").get_attribute("title") == "Vergrößern"
    p.locator('header .languages a[data-lang="fr"]').click()
    wait_for_map(p, night)
    assert p.locator("html").get_attribute("lang") == "fr" and "date=" in p.url  # back where it was
    assert p.locator("#tour-link").inner_text() == "Planifier un tour"
    # dates and numbers for the language (Babel): the planner's start dates
    p.goto(f"/tours?huts={site.slugs[5]}&from={night}&to={night}")
    start = site.now.date()
    expected = format_date(start, "EEE d MMM yyyy", locale="fr")
    row = p.locator("#fits tbody th, #near-misses tbody th").first.inner_text()
    assert row == expected and row != start.isoformat()
    page.clean()
    context.close()
