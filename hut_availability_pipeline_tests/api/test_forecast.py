"""/v1/huts/{slug}/forecast[/{date}] over real HTTP, on a forecast stored by the daily run's code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from hut_availability_pipeline.forecast_run import run_forecast

from ..api.test_api import DAY, NOW, TODAY, Api, add_data, serving

FORECAST = "/v1/huts/{slug}/forecast"
NIGHT = "/v1/huts/{slug}/forecast/{date}"


@pytest.fixture
def api(db) -> Iterator[Api]:
    add_data(db)
    with db.connect() as conn:
        run = run_forecast(conn, NOW)
    assert run.history_nights == 0  # nothing past yet: the forecast is naive and says so
    with serving(db) as url, httpx.Client(base_url=url) as client:
        yield Api(client)


def test_a_huts_forecast_per_night(api: Api) -> None:
    body = api.get(FORECAST, slug="alpha").json()
    assert body["hut"]["slug"] == "alpha"
    nights = body["nights"]
    assert [n["date"] for n in nights] == [(TODAY + i * DAY).isoformat() for i in range(1, 20)]
    tomorrow = nights[0]  # full tomorrow (0 free at the last check, an hour ago)
    assert tomorrow == {
        "date": (TODAY + DAY).isoformat(),
        "as_of": "2026-07-10T12:00:00Z",
        "free_now": 0,
        "observed_at": "2026-07-10T11:00:00Z",
        "median_free": 0,
        "p_sold_out": 0.9,
        "p_frees_up": 0.1,
        "history_nights": 0,
    }
    assert nights[1]["free_now"] == 1 and nights[1]["p_frees_up"] is None
    assert api.get(NIGHT, slug="alpha", date=(TODAY + DAY).isoformat()).json() == tomorrow


def test_unknown_huts_and_nights_without_a_forecast_are_404(api: Api) -> None:
    assert "no hut" in api.get(FORECAST, slug="nowhere", expect=404).json()["detail"]
    assert "no forecast of alpha" in api.get(NIGHT, slug="alpha", date=TODAY.isoformat(), expect=404).json()["detail"]
    assert api.get(FORECAST, slug="cabane").json()["nights"] == []  # never checked


def test_the_night_page_says_the_chance_without_promising(db) -> None:
    add_data(db)
    with db.connect() as conn:
        run_forecast(conn, NOW)
    with serving(db) as url, httpx.Client(base_url=url) as client:
        full = client.get(f"/huts/alpha/nights/{(TODAY + DAY).isoformat()}").text
        open_night = client.get(f"/huts/alpha/nights/{(TODAY + 2 * DAY).isoformat()}").text
        past = client.get(f"/huts/alpha/nights/{TODAY.isoformat()}").text
    assert "chance a place frees up before this night: about 10 %." in full
    assert "no past nights to learn from yet" in full and "not a promise" in full
    assert "chance it is sold out on the eve: about 10 %; typical free places then: 1." in open_night
    assert 'id="forecast"' not in past


def test_a_watch_on_a_full_night_says_its_chance(db, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from hut_availability_pipeline.cli import main
    from hut_availability_pipeline.storage.writer import write_batch

    from ..conftest import libpq_url
    from ..helpers import add_huts, result

    monkeypatch.setenv("DATABASE_URL", libpq_url(db))
    now = dt.datetime.now(dt.UTC)
    tomorrow = now.date() + DAY
    (hut, *_) = add_huts(db, 1)
    with db.connect() as conn:
        write_batch(conn, [result(hut, now - dt.timedelta(hours=1), [0, 3], start=tomorrow)])
        run_forecast(conn, now)
    words = ["--hut", "hut-0", "--from", tomorrow.isoformat(), "--to", (tomorrow + DAY).isoformat()]
    assert main(["watch", "add", *words, "--notify", "ntfy://t"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        f"  hut-0 {tomorrow.isoformat()}: full now; chance a place frees up before this night: about 10 %"
        " (an estimate from past nights, not a promise)"
    ]
    assert main(["watch", "show", out[0].split()[1]]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == out[1]


def test_the_hut_calendar_carries_the_chance_of_each_night(db) -> None:
    add_data(db)
    with db.connect() as conn:
        run_forecast(conn, NOW)
    with serving(db) as url, httpx.Client(base_url=url) as client:
        page = client.get("/huts/alpha").text
    tomorrow = (TODAY + DAY).isoformat()
    assert f'title="{tomorrow}: ' in page
    assert "; forecast: chance a place frees up about 10 % (an estimate)" in page
    assert "; forecast: chance it sells out about 10 % (an estimate)" in page


def test_the_night_page_says_how_the_huts_past_nights_sold_out(db) -> None:
    """From the derived trends of the past year's nights, once there are 10 of them."""
    add_data(db)
    with db.connect() as conn:
        alpha = conn.execute("SELECT id FROM huts WHERE slug = 'alpha'").fetchone()[0]  # type: ignore[index]
        for i in range(1, 13):  # 12 past nights, 6 of them full 10, 20, ..., 60 days ahead
            conn.execute(
                "INSERT INTO hut_availability_trends (hut_id, availability_date, computed_at, is_full,"
                " days_before_full, booked_per_day, changes_last_week)"
                " VALUES (%s, %s, %s, %s, %s, '{NULL,NULL,NULL,NULL,NULL,NULL,NULL}', 0)",
                (alpha, TODAY - i * DAY, NOW, i <= 6, 10 * i if i <= 6 else None),
            )
    with serving(db) as url, httpx.Client(base_url=url) as client:
        page = client.get(f"/huts/alpha/nights/{(TODAY + DAY).isoformat()}").text
        other = client.get(f"/huts/bravo/nights/{(TODAY + DAY).isoformat()}").text
    assert "Past year: 6 of this hut's 12 tracked nights sold out, typically about 30 days ahead (median)." in page
    assert 'id="usually"' not in other  # no past nights: nothing said
