"""The web front end over real HTTP on a simulator-fed database: every page answers with HTML
that shows the data, escapes every provider string, carries the Content-Security-Policy and
refers to nothing outside the app; the table's filters and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute

from hut_availability_pipeline import cli
from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.formatting import AVAILABILITY_COLUMNS
from hut_availability_pipeline.serving.app import create_app
from hut_availability_pipeline.storage.trends import compute_trends
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.web.pages import router as pages_router
from hut_availability_pipeline.web.security import CONTENT_SECURITY_POLICY

from ..api.test_api import serving
from ..helpers import START, T0, add_huts, result
from ..web_site import IMG_NAME, SCRIPT_NAME, Site, simulated_site

SETTINGS = Settings(timezone="Europe/Zurich", map_tiles="none")  # no tiles: nothing from another host


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create())


@pytest.fixture(scope="module")
def client(site) -> Iterator[httpx.Client]:
    with serving(site.db, create_app(site.db, SETTINGS, clock=site.clock)) as url, httpx.Client(base_url=url) as client:
        yield client


def changed_night(site: Site) -> tuple[str, dt.date]:
    """A hut and night whose free places changed between the two fetches (two states with numbers)."""
    with site.db.connect() as conn:
        row = conn.execute(
            "SELECT h.slug, s.availability_date FROM hut_availability_history s JOIN huts h ON h.id = s.hut_id"
            " WHERE s.free IS NOT NULL GROUP BY h.slug, s.availability_date HAVING count(*) = 2"
            " ORDER BY s.availability_date, h.slug LIMIT 1"
        ).fetchone()
    assert row is not None, "the simulator's three days changed no night"
    return row[0], row[1]


def test_pages_answer_html_with_the_security_headers(client, site):
    slug, night = changed_night(site)
    for path in ("/", f"/huts/{slug}", f"/huts/{slug}/nights/{night}", "/browse"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        # no inline script or style, and nothing from another host
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path
        assert " style=" not in response.text and "<style" not in response.text, path
        urls = re.findall(r"""(?:src|href)="([^"]+)\"""", response.text)
        assert [u for u in urls if u.startswith(("http:", "https:", "//")) and "/reservation/" not in u] == [], path
        for asset in (u for u in urls if u.startswith("/static/")):
            assert client.get(asset).status_code == 200, asset


def test_provider_strings_are_escaped_in_every_page(client, site):
    for slug, name in ((site.script_slug, SCRIPT_NAME), (site.img_slug, IMG_NAME)):
        hut = client.get(f"/huts/{slug}").text
        assert name not in hut
        assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in hut
        browse = client.get("/browse", params={"q": slug}).text
        assert name not in browse and "&lt;" in browse
    assert SCRIPT_NAME not in client.get("/browse", params={"q": SCRIPT_NAME}).text


def test_hut_page_shows_a_calendar_of_its_nights(client, site):
    slug = site.slugs[5]
    page = client.get(f"/huts/{slug}").text
    nights = re.findall(rf'href="/huts/{slug}/nights/(\d{{4}}-\d\d-\d\d)"', page)
    assert len(set(nights)) >= 30  # the served nights of the second fetch
    assert re.search(r'data-state="(bookable|full|not_bookable_online|winter_room|closed|unknown)"', page)


def test_night_page_shows_its_states_and_curve(client, site):
    slug, night = changed_night(site)
    page = client.get(f"/huts/{slug}/nights/{night.isoformat()}").text
    table = page.split('id="states"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 3  # a header and two states
    assert '<path class="line" d="M' in page and page.count('class="point"') == 2


def test_unknown_huts_and_bad_dates_get_an_error_page(client):
    missing = client.get("/huts/no-such-hut")
    assert missing.status_code == 404 and "no hut with slug &#39;no-such-hut&#39;" in missing.text
    bad = client.get("/huts/no-such-hut/nights/someday")
    assert bad.status_code == 400 and "bad date" in bad.text
    assert client.get("/?date=2026-02-30").status_code == 400
    for path, message in (("/browse?party=0", "party: Input should be greater than or equal to 1"),
                          ("/browse.csv?from=someday", "bad date &#39;someday&#39;")):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 400 and page.headers["content-type"].startswith("text/html"), path
        assert message in page.text and page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    api = client.get("/v1/availability?party=0")  # the API keeps its JSON
    assert api.status_code == 400 and api.json()["detail"].startswith("party:")


def test_table_filters_narrow_it_and_the_csv_has_its_rows(client, site):
    nights = {"from": "today", "to": (site.now + dt.timedelta(days=60)).date().isoformat()}
    everything = client.get("/v1/availability", params={**nights, "limit": 10000}).json()
    full = client.get("/v1/availability", params={**nights, "state": "full", "limit": 10000}).json()
    assert 0 < full["number_matched"] < everything["number_matched"]
    assert {r["day_state"] for r in full["rows"]} == {"full"}
    party = client.get("/v1/availability", params={**nights, "party": 20, "limit": 10000}).json()
    assert all(r["free"] >= 20 for r in party["rows"]) and party["number_matched"] < everything["number_matched"]
    one = client.get("/v1/availability", params={"q": site.slugs[5], "sort": "free", "desc": "true"}).json()
    assert {r["slug"] for r in one["rows"]} == {site.slugs[5]}
    frees = [r["free"] for r in one["rows"] if r["free"] is not None]
    assert frees == sorted(frees, reverse=True)
    response = client.get("/browse.csv", params={"q": site.slugs[5], "sort": "free", "desc": "true"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["slug"], r["availability_date"]) for r in rows] == [(r["slug"], r["date"]) for r in one["rows"]]
    # the columns of `show --format csv`, times in the configured zone (they were in UTC, +00:00)
    assert tuple(rows[0]) == AVAILABILITY_COLUMNS
    times = [dt.datetime.fromisoformat(r[c]) for r in rows for c in ("first_checked", "last_checked")]
    assert all(t.utcoffset() == t.astimezone(SETTINGS.zone).utcoffset() != dt.timedelta(0) for t in times)


def test_the_map_allows_images_from_its_tile_server_only(site):
    """By default the tiles come from OpenStreetMap, whose attribution the map shows with its link;
    the CSP allows images from exactly that host (and the app)."""
    with serving(site.db, create_app(site.db, Settings(timezone="Europe/Zurich"), clock=site.clock)) as url:
        response = httpx.get(url + "/")
    policy = response.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", "img-src 'self' data: https://tile.openstreetmap.org"
    )
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in response.text
    assert (
        '<a href="https://www.openstreetmap.org/copyright" rel="noopener noreferrer">© OpenStreetMap contributors</a>'
        in response.text
    )


def test_without_tiles_the_map_has_no_attribution(client):
    page = client.get("/").text
    assert 'data-tiles=""' in page and 'id="attribution"' not in page


def test_pages_speak_the_browsers_language_or_the_chosen_one(client, site):
    slug, night = changed_night(site)
    month = {"de": "Juli", "fr": "juillet", "it": "luglio"}
    for language, coming in (("de", "Kommende Nächte"), ("fr", "Nuits à venir"), ("it", "Prossime notti")):
        page = client.get(f"/huts/{slug}", headers={"Accept-Language": f"{language}-CH,{language};q=0.9,en;q=0.5"})
        assert page.headers["content-language"] == language and f'<html lang="{language}">' in page.text
        assert coming in page.text and f"{month[language]} {night.year}" in page.text
    english = client.get(f"/huts/{slug}", headers={"Accept-Language": "es"}).text
    assert "Coming nights" in english and "<th>Mo</th><th>Tu</th>" in english
    # chosen with /language: a cookie, and back to the page (only of this site); a client of its own
    with httpx.Client(base_url=client.base_url) as own:
        chosen = own.get("/language", params={"lang": "it", "next": f"/huts/{slug}"}, follow_redirects=False)
        assert chosen.status_code == 303 and chosen.headers["location"] == f"/huts/{slug}"
        assert "lang=it" in chosen.headers["set-cookie"]
        page = own.get(f"/huts/{slug}/nights/{night}", headers={"Accept-Language": "de"})  # the cookie wins
        assert page.headers["content-language"] == "it" and "Curva delle prenotazioni" in page.text
        away = own.get("/language", params={"lang": "de", "next": "//evil.example/"}, follow_redirects=False)
        assert away.headers["location"] == "/"
        assert own.get("/language", params={"lang": "xx"}).status_code == 400


def test_a_night_page_says_how_long_each_state_was_in_force_and_the_hut_page_when_trends_were_derived(db):
    """A state seen once and replaced 10 minutes later lasted 10 minutes (it showed "0 s": its first
    and last check are the same moment); a hut page after the trends ran says they did."""
    hut, quiet = add_huts(db)
    minute = dt.timedelta(minutes=1)
    with db.connect(autocommit=True) as conn:
        write_batch(conn, [result(hut, T0, [12]), result(quiet, T0, [30])])
        write_batch(conn, [result(hut, T0 + 10 * minute, [11])])
        write_batch(conn, [result(hut, T0 + 40 * minute, [11])])
    app = create_app(db, SETTINGS, clock=lambda: T0 + 60 * minute)
    with serving(db, app) as url, httpx.Client(base_url=url) as client:
        night = client.get(f"/huts/{hut.slug}/nights/{START.isoformat()}").text
        states = night[night.index('id="states"') :]
        assert re.findall(r"<td>(\d+ (?:s|min|h)(?: \d+ \w+)?)</td>", states) == ["30 min", "10 min"]  # newest first
        assert "2026-06-30 10:00 CEST" in states  # the first check, in the configured zone and labelled
        assert "No trends derived" in client.get(f"/huts/{quiet.slug}").text
        with db.connect(autocommit=True) as conn:
            compute_trends(conn, T0 + 60 * minute, SETTINGS.zone)
        page = client.get(f"/huts/{quiet.slug}").text
        assert "No trends derived" not in page
        assert "Trends derived 2026-06-30 11:00 CEST: no places booked in the last 7 days" in page


def test_serve_help_names_every_page(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the description
    pages = [r.path for r in pages_router.routes if isinstance(r, APIRoute)]
    assert len(pages) >= 5
    for path in pages:
        assert path.replace("{slug}", "SLUG").replace("{date}", "DATE") in text, path
    assert "/openapi.json" in text and "/docs" in text
