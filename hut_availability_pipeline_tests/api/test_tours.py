"""`GET /v1/tours` and the tour planner page over real HTTP on a simulator-fed database: the
start dates and near misses against those the test computes from the stored states itself, the
OpenAPI description, and clear refusals of bad tours."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.serving.app import create_app

from ..api.test_api import serving
from ..web_site import Site, simulated_site

SETTINGS = Settings(timezone="Europe/Zurich", map_tiles="none")


@pytest.fixture(scope="module")
def site(embedded_factory) -> Site:
    return simulated_site(embedded_factory.create())


@pytest.fixture(scope="module")
def client(site) -> Iterator[httpx.Client]:
    with serving(site.db, create_app(site.db, SETTINGS, clock=site.clock)) as url, httpx.Client(base_url=url) as client:
        yield client


@dataclass(frozen=True)
class Expected:
    huts: list[str]
    party: int
    first: dt.date
    last: dt.date
    fits: list[dt.date]
    near: dict[dt.date, tuple[str, dt.date]]  # start: the failing hut and night
    free: dict[tuple[str, dt.date], int | None]


def expected_tour(site: Site, huts: list[str], party: int, first: dt.date, last: dt.date) -> Expected:
    """The answer computed here from the stored current states: a night fits when it is
    bookable with at least `party` free."""
    with site.db.connect() as conn:
        rows = conn.execute(
            "SELECT h.slug, a.availability_date, a.day_state, a.free FROM hut_availability a"
            " JOIN huts h ON h.id = a.hut_id WHERE h.slug = ANY(%s)",
            (huts,),
        ).fetchall()
    ok = {(s, d) for s, d, state, free in rows if state == "bookable" and free is not None and free >= party}
    fits: list[dt.date] = []
    near: dict[dt.date, tuple[str, dt.date]] = {}
    for k in range((last - first).days + 1):
        start = first + dt.timedelta(days=k)
        failing = [
            (s, start + dt.timedelta(days=i)) for i, s in enumerate(huts) if (s, start + dt.timedelta(days=i)) not in ok
        ]
        if not failing:
            fits.append(start)
        elif len(failing) == 1:
            near[start] = failing[0]
    return Expected(huts, party, first, last, fits, near, {(s, d): free for s, d, _, free in rows})


@pytest.fixture(scope="module")
def tour(site) -> Expected:
    """Three huts and a party for which some start dates work and some miss by one night."""
    first = site.now.date()
    last = first + dt.timedelta(days=20)
    for party, huts in itertools.product((4, 2, 8, 1), itertools.combinations(site.slugs[2:], 3)):
        e = expected_tour(site, list(huts), party, first, last)
        if e.fits and e.near:
            return e
    pytest.fail("no three huts of the simulated site have both fitting start dates and near misses")


def test_the_api_answers_the_start_dates_the_test_computes(client, tour):
    params = {
        "huts": ",".join(tour.huts),
        "party": tour.party,
        "from": tour.first.isoformat(),
        "to": tour.last.isoformat(),
    }
    response = client.get("/v1/tours", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [h["slug"] for h in body["huts"]] == tour.huts
    assert all(h["source"] == "hrs" for h in body["huts"])
    assert (body["party"], body["from"], body["to"]) == (tour.party, tour.first.isoformat(), tour.last.isoformat())
    assert [t["start"] for t in body["tours"]] == [d.isoformat() for d in tour.fits]
    for t in body["tours"]:
        assert [n["hut"] for n in t["nights"]] == tour.huts and all(n["fits"] for n in t["nights"])
        for n in t["nights"]:
            assert n["free"] == tour.free[(n["hut"], dt.date.fromisoformat(n["date"]))] >= tour.party
            assert n["link"] and n["link"].startswith("http")
    assert [t["start"] for t in body["near_misses"]] == [d.isoformat() for d in sorted(tour.near)]
    for t in body["near_misses"]:
        failing = [(n["hut"], n["date"]) for n in t["nights"] if not n["fits"]]
        hut, night = tour.near[dt.date.fromisoformat(t["start"])]
        assert failing == [(hut, night.isoformat())]


def test_the_api_refuses_bad_tours_clearly(client, tour):
    first = tour.first.isoformat()
    cases = [
        ({"huts": "", "from": first}, 400, "huts"),
        ({"huts": "no-such-hut", "from": first}, 404, "no-such-hut"),
        ({"huts": ",".join(["a"] * 15), "from": first}, 400, "huts"),
        ({"huts": tour.huts[0], "from": "2027-02-30"}, 400, "2027-02-30"),
        ({"huts": tour.huts[0], "from": first, "party": 0}, 400, "party"),
    ]
    for params, status, words in cases:
        response = client.get("/v1/tours", params=params)
        assert response.status_code == status, (params, response.text)
        assert words in response.json()["detail"], (params, response.text)


def test_the_window_is_cut_to_92_start_dates_and_to_the_calendar(client, tour):
    def answer(**params):
        response = client.get("/v1/tours", params={"huts": ",".join(tour.huts[:2]), **params})
        assert response.status_code == 200, response.text
        return response.json()

    body = answer(**{"from": "2027-01-01", "to": "2027-12-31"})
    assert (body["from"], body["to"], body["cut"]) == ("2027-01-01", "2027-04-02", True)  # 92 start dates
    body = answer(**{"from": "9999-12-31"})
    assert (body["tours"], body["near_misses"], body["to"]) == (
        [],
        [],
        "9999-12-30",
    )  # no start: the tour would end later
    body = answer(**{"from": first_date(tour), "to": "2020-01-01"})
    assert (body["tours"], body["near_misses"], body["cut"]) == ([], [], False)  # an empty window
    assert answer(**{"from": first_date(tour)})["to"] == (tour.first + dt.timedelta(days=29)).isoformat()


def first_date(tour: Expected) -> str:
    return tour.first.isoformat()


def test_the_openapi_description_documents_tours(client):
    operation = client.get("/openapi.json").json()["paths"]["/v1/tours"]["get"]
    assert "winter-room" in operation["description"] and "near_misses" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} == {"huts", "party", "from", "to"}
    assert "200" in operation["responses"] and "404" in operation["responses"]


def test_the_planner_page_shows_the_same_answer(client, tour):
    params = {
        "huts": ",".join(tour.huts),
        "party": tour.party,
        "from": tour.first.isoformat(),
        "to": tour.last.isoformat(),
    }
    page = client.get("/tours", params=params)
    assert page.status_code == 200
    fits = page.text.split('id="fits"')[1].split("</table>")[0]
    near = page.text.split('id="near-misses"')[1].split("</table>")[0]
    assert re.findall(r'data-start="([\d-]+)"', fits) == [d.isoformat() for d in tour.fits]
    assert re.findall(r'data-start="([\d-]+)"', near) == [d.isoformat() for d in sorted(tour.near)]
    failing = re.findall(r'class="night fails" data-hut="([^"]+)" data-date="([\d-]+)"', near)
    assert failing == [(h, d.isoformat()) for h, d in (tour.near[s] for s in sorted(tour.near))]
    bad = client.get("/tours", params={"huts": "no-such-hut"})
    assert bad.status_code == 200 and "no hut with slug &#39;no-such-hut&#39;" in bad.text


def test_a_tour_may_mix_booking_systems(client, site, tour):
    """The second hut booked through Hütten-Holiday (moved there for this test, then back): the
    answer names each hut's system and plans the nights all the same."""
    middle = tour.huts[1]
    move = "UPDATE huts SET source_organization_id = (SELECT id FROM organizations WHERE slug = %s) WHERE slug = %s"
    with site.db.connect() as conn:
        conn.execute(move, ("huetten-holiday", middle))
        conn.commit()
    try:
        params = {
            "huts": ",".join(tour.huts),
            "party": tour.party,
            "from": tour.first.isoformat(),
            "to": tour.last.isoformat(),
        }
        body = client.get("/v1/tours", params=params).json()
        assert [h["source"] for h in body["huts"]] == ["hrs", "huetten-holiday", "hrs"]
        assert [t["start"] for t in body["tours"]] == [d.isoformat() for d in tour.fits]
        assert [t["start"] for t in body["near_misses"]] == [d.isoformat() for d in sorted(tour.near)]
        page = client.get("/tours", params=params).text
        assert "(huetten-holiday)" in page and "(hrs)" in page
    finally:
        with site.db.connect() as conn:
            conn.execute(move, ("hrs", middle))
            conn.commit()
