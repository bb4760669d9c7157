"""Honest freshness over real HTTP: when a booking source's last fetch failed, or its data are
older than their refresh tier allows, the map and the hut pages say so, naming the source and
since when; with fresh data they say nothing."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.serving.app import create_app
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.writer import write_batch

from ..api.test_api import serving
from ..helpers import add_huts, failure, result

SETTINGS = Settings(timezone="UTC", map_tiles="none")


def notices(page: str) -> list[str]:
    """The texts of the page's freshness notices, whitespace collapsed, tags removed."""
    return [" ".join(re.sub(r"<[^>]+>", "", p).split()) for p in re.findall(r'<p class="notice".*?</p>', page, re.S)]


def test_a_failed_fetch_and_stale_data_are_shown_with_the_source_and_since_when(db: Database):
    hut, other = add_huts(db)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now.date() + dt.timedelta(days=1)
    with db.connect() as conn:
        write_batch(conn, [result(hut, now - dt.timedelta(minutes=20), [5, 5], start=start),
                           result(other, now - dt.timedelta(minutes=10), [5, 5], start=start)])  # fmt: skip
    app = create_app(db, SETTINGS, clock=lambda: now)
    with serving(db, app) as url, httpx.Client(base_url=url) as client:
        assert notices(client.get("/").text) == []
        assert notices(client.get(f"/huts/{hut.slug}").text) == []

        with db.connect() as conn:
            write_batch(conn, [failure(hut, now - dt.timedelta(minutes=5), "HTTP 503 from the source")])
        # times in the configured zone, labelled (the one time-zone rule of the pages)
        failed_at = (now - dt.timedelta(minutes=5)).astimezone(SETTINGS.zone).strftime("%Y-%m-%d %H:%M %Z")
        newest = (now - dt.timedelta(minutes=10)).astimezone(SETTINGS.zone).strftime("%Y-%m-%d %H:%M %Z")
        [on_map] = notices(client.get("/").text)
        assert on_map.startswith("hut-reservation.org:")
        assert f"its last update failed at {failed_at} (HTTP 503 from the source)" in on_map
        assert f"Its newest data are from {newest}" in on_map
        source, own = notices(client.get(f"/huts/{hut.slug}").text)
        assert source == on_map
        assert own.startswith("This hut:") and f"its last update failed at {failed_at}" in own
        assert notices(client.get(f"/huts/{other.slug}").text) == [on_map]  # same source, its own fetch worked
        night_page = client.get(f"/huts/{hut.slug}/nights/{start.isoformat()}").text
        assert notices(night_page) == [source, own]  # a night's page, where the alert form is, says it too

        # the source's next fetch works, but the data of a hut are three days old (its tier: a day)
        with db.connect() as conn:
            write_batch(conn, [result(hut, now - dt.timedelta(minutes=1), [5, 5], start=start)])
            conn.execute("UPDATE hut_fetch_status SET last_success = %s WHERE hut_id = %s",
                         (now - dt.timedelta(days=3), other.hut_id))  # fmt: skip
        [on_map] = notices(client.get("/").text)
        assert "failed" not in on_map
        # 35 of 40 places booked: the high tier, refreshed every 30 min, too old after an hour
        since = (
            (now - dt.timedelta(days=3) + dt.timedelta(hours=1)).astimezone(SETTINGS.zone).strftime("%Y-%m-%d %H:%M %Z")
        )
        assert f"The data of 1 of its 2 huts are older than their refresh schedule allows, since {since}." in on_map
        [_, own] = notices(client.get(f"/huts/{other.slug}").text)
        assert "older than its refresh schedule allows" in own
        assert (now - dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M") in own
