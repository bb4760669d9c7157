"""The read-side queries: map, hut detail, trend window, due huts, filters and date words."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import psycopg
import pytest

from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.domain.tiers import Tier
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, huts_by_slug, load_huts
from hut_availability_pipeline.storage.queries import (
    current_availability,
    for_hut_detail,
    for_map,
    for_map_geojson,
    for_trend,
    get_huts_needing_update,
    hut_date_history,
    unknown_slugs,
)
from hut_availability_pipeline.storage.read_models import AvailabilityFilter, UnknownHutError
from hut_availability_pipeline.storage.read_only import connect_read_only
from hut_availability_pipeline.storage.selection import due_huts
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import result

ZURICH = "Europe/Zurich"
NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)  # a Friday; 14:00 in Zurich
TODAY = dt.date(2026, 7, 10)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def add_map_huts(db: Database) -> dict[str, Any]:
    """Three active huts (one without data) and an inactive one, loaded out of slug order."""
    records = [
        HutRecord("hrs", "3", "cabane-c", "Cabane C", country="CH", lat=46.1, lon=7.1, elevation=2500, capacity=40),
        HutRecord("hrs", "1", "alpha-huette", "Alpha Hütte", country="AT", lat=47.0, lon=11.0, capacity=60),
        HutRecord("hrs", "2", "bravo", "Rifugio Bravo", country="IT", lat=46.5, lon=10.5),
        HutRecord("hrs", "4", "delta-closed", "Delta", lat=46.0, lon=8.0),
    ]
    with db.connect(autocommit=True) as conn:  # each write_batch its own transaction
        load_huts(conn, records)
        conn.execute("UPDATE huts SET is_active = false WHERE slug = 'delta-closed'")
        refs = {r.slug: r for r in huts_by_slug(conn, ["alpha-huette", "bravo", "cabane-c", "delta-closed"])}
        # 20 days from yesterday: alpha full on today+1, bravo with unknown free places on day 3
        write_batch(conn, [result(refs["alpha-huette"], NOW - HOUR, [10, 10, 0, *range(17)], start=TODAY - DAY)])
        write_batch(conn, [result(refs["bravo"], NOW - 2 * HOUR, [30] * 4 + [None] + [30] * 15, start=TODAY - DAY)])
        write_batch(conn, [result(refs["delta-closed"], NOW - HOUR, [1] * 20, start=TODAY - DAY)])
    return refs


class CountingCursor(psycopg.Cursor[Any]):
    """A real cursor that counts the statements it is asked to run (round trips); every statement of
    a connection opened with `counting_connection` runs on one (Connection.execute as well)."""

    statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        type(self).statements += 1
        return super().execute(*args, **kwargs)


def counting_connection(db: Database) -> psycopg.Connection[Any]:
    CountingCursor.statements = 0
    return psycopg.connect(db.conninfo, cursor_factory=CountingCursor)


# --- map -----------------------------------------------------------------------------------------


def test_map_defaults_to_four_days_of_every_active_hut_in_slug_order(db):
    refs = add_map_huts(db)
    with db.connect() as conn:
        page = for_map(conn, zone=ZURICH, now=NOW)
    assert (page.date_from, page.date_to) == (TODAY, TODAY + 3 * DAY)
    assert [h.hut.slug for h in page.huts] == ["alpha-huette", "bravo", "cabane-c"]
    assert page.matched == 3
    alpha, bravo, cabane = page.huts
    assert [d.availability_date for d in alpha.days] == [TODAY + i * DAY for i in range(4)]
    assert [d.free for d in alpha.days] == [10, 0, 0, 1]
    assert alpha.days[1].occupancy_status == "full" and alpha.days[1].reservation_status == "not_possible"
    assert alpha.hut.hut_id == refs["alpha-huette"].hut_id
    assert (alpha.hut.lat, alpha.hut.lon, alpha.hut.capacity, alpha.hut.source) == (47.0, 11.0, 60, "hrs")
    assert alpha.last_checked == NOW - HOUR
    assert [d.free for d in bravo.days] == [30, 30, 30, None]
    assert bravo.days[3].occupancy_percent is None
    assert cabane.days == [] and cabane.last_checked is None  # active, never checked: on the map as unknown
    assert page.last_checked == NOW - HOUR


def test_map_is_one_round_trip(db):
    add_map_huts(db)
    with counting_connection(db) as conn:
        for_map(conn, zone=ZURICH, now=NOW)
    assert CountingCursor.statements == 1


def test_map_range_slugs_and_paging(db):
    add_map_huts(db)
    with db.connect() as conn:
        page = for_map(conn, TODAY + 2 * DAY, TODAY + 2 * DAY)
        assert [[d.free for d in h.days] for h in page.huts] == [[0], [30], []]
        some = for_map(conn, TODAY, TODAY, slugs=["cabane-c", "alpha-huette", "delta-closed", "nope"])
        # the inactive and the unknown hut are left out
        assert [h.hut.slug for h in some.huts] == ["alpha-huette", "cabane-c"]
        assert some.matched == 2
        pages = [for_map(conn, TODAY, TODAY, offset=o, limit=2) for o in (0, 2, 4)]
        assert [[h.hut.slug for h in p.huts] for p in pages] == [["alpha-huette", "bravo"], ["cabane-c"], []]
        assert [p.matched for p in pages] == [3, 3, 3]
        assert for_map(conn, TODAY, TODAY, slugs=[]).huts == []
        assert unknown_slugs(conn, ["nope", "bravo", "delta-closed", "zz"]) == ["nope", "zz"]


def test_map_of_an_empty_database_and_of_empty_ranges(db):
    with db.connect() as conn:
        empty = for_map(conn, TODAY, TODAY + DAY)
        assert (empty.huts, empty.matched, empty.last_checked) == ([], 0, None)
    add_map_huts(db)
    with db.connect() as conn:
        far = for_map(conn, dt.date(2030, 1, 1))
    assert [h.days for h in far.huts] == [[], [], []]
    assert (far.date_from, far.date_to) == (dt.date(2030, 1, 1), dt.date(2030, 1, 4))


def test_map_refuses_bad_ranges(db):
    with db.connect() as conn:
        with pytest.raises(ValueError, match="date range is empty: 2026-07-09 is before 2026-07-10"):
            for_map(conn, TODAY, TODAY - DAY)
        with pytest.raises(ValueError, match="beyond the calendar"):
            for_map(conn, dt.date(9999, 12, 30))
        with pytest.raises(ValueError, match="must not be negative"):
            for_map(conn, TODAY, offset=-1)


def test_map_as_geojson_has_the_same_huts_and_days_as_for_map(db):
    add_map_huts(db)
    with db.connect() as conn:
        for params in ({}, {"slugs": ["bravo", "cabane-c"]}, {"offset": 1, "limit": 1}, {"offset": 9}):
            page = for_map(conn, TODAY, TODAY + 2 * DAY, **params)
            geo = for_map_geojson(conn, TODAY, TODAY + 2 * DAY, **params)
            body = json.loads(geo.text)
            assert (geo.date_from, geo.date_to, geo.last_checked) == (page.date_from, page.date_to, page.last_checked)
            assert (body["number_matched"], body["number_returned"]) == (page.matched, len(page.huts))
            assert [f["id"] for f in body["features"]] == [h.hut.slug for h in page.huts]
            for feature, hut in zip(body["features"], page.huts, strict=True):
                days = feature["properties"]["days"]
                assert [(d["date"], d["free"], d["total"], d["occupancy_status"]) for d in days] == [
                    (d.availability_date.isoformat(), d.free, d.total, d.occupancy_status) for d in hut.days
                ]
                assert [dt.datetime.fromisoformat(d["last_checked"]) for d in days] == [
                    d.last_checked for d in hut.days
                ]
                assert feature["properties"]["capacity"] == hut.hut.capacity
        alpha = json.loads(for_map_geojson(conn, TODAY, slugs=["alpha-huette"]).text)["features"][0]
    assert alpha["geometry"] == {"type": "Point", "coordinates": [11.0, 47.0]}
    assert alpha["properties"]["days"][1]["occupancy_percent"] == 100


def test_map_as_geojson_is_one_round_trip_and_empty_without_huts(db):
    with counting_connection(db) as conn:
        geo = for_map_geojson(conn, TODAY)
    assert CountingCursor.statements == 1
    assert json.loads(geo.text) == {
        "type": "FeatureCollection",
        "features": [],
        "date_from": "2026-07-10",
        "date_to": "2026-07-13",
        "number_matched": 0,
        "number_returned": 0,
        "offset": 0,
        "limit": None,
    }
    assert geo.last_checked is None


def test_map_queries_are_never_prepared(db):
    """psycopg prepares a statement run 5 times; PostgreSQL may then plan it generically, which made
    the map with its optional filters 80 times slower on a year of data."""
    add_map_huts(db)
    with db.connect() as conn:
        for _ in range(12):
            for_map(conn, TODAY)
            for_map_geojson(conn, TODAY)
            current_availability(conn, AvailabilityFilter(TODAY, TODAY))
        prepared = conn.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    assert prepared == []


# --- hut detail ----------------------------------------------------------------------------------


def test_hut_detail_by_slug_and_by_id(db):
    refs = add_map_huts(db)
    with db.connect() as conn:
        by_slug = for_hut_detail(conn, "alpha-huette", zone=ZURICH, now=NOW)
        by_id = for_hut_detail(conn, refs["alpha-huette"].hut_id, zone=ZURICH, now=NOW)
    assert by_slug == by_id
    assert [d.availability_date for d in by_slug.days] == [TODAY + i * DAY for i in range(14)]
    day = by_slug.days[0]
    assert day.link == "https://www.hut-reservation.org/reservation/book-hut/1/wizard"
    assert (day.first_checked, day.last_checked) == (NOW - HOUR, NOW - HOUR)


def test_hut_detail_of_an_inactive_hut_and_of_a_hut_without_days(db):
    add_map_huts(db)
    with db.connect() as conn:
        closed = for_hut_detail(conn, "delta-closed", TODAY, TODAY + DAY)
        cabane = for_hut_detail(conn, "cabane-c", TODAY)
    assert closed.hut.is_active is False and len(closed.days) == 2
    assert cabane.days == [] and cabane.hut.name == "Cabane C"


def test_hut_detail_of_an_unknown_hut(db):
    with db.connect() as conn:
        with pytest.raises(UnknownHutError, match="no hut with slug 'nope'"):
            for_hut_detail(conn, "nope")
        with pytest.raises(UnknownHutError, match="no hut with id 999"):
            for_hut_detail(conn, 999)


# --- huts needing an update ----------------------------------------------------------------------


def test_huts_needing_update_is_the_core_selection_with_tiers(db):
    refs = add_map_huts(db)
    settings = Settings(timezone=ZURICH)
    later = NOW + 45 * dt.timedelta(minutes=1)
    with db.connect() as conn:
        due = get_huts_needing_update(conn, settings.tiers, later, settings.zone)
        core = due_huts(conn, settings.tiers, later, settings.zone)
    assert [(p.hut.hut_id, p.tier) for p in due] == [(p.hut.hut_id, p.tier) for p in core]
    tiers = {p.hut.slug: p.tier for p in due}
    # cabane-c was never checked (new); alpha has a full date (high, 30 min passed); bravo is low
    # (not due for 24 h); delta is inactive
    assert tiers == {"cabane-c": Tier.new, "alpha-huette": Tier.high}
    assert len({p.hut.hut_id for p in due}) == len(due)
    assert refs["bravo"].slug not in tiers


# --- trend ---------------------------------------------------------------------------------------

TARGET = dt.date(2026, 7, 20)


def add_trend_history(db: Database) -> dict[str, dt.datetime]:
    """One hut-date with five states; the second one was last confirmed before the 5-day window
    opened but was still in force then (the next change was seen only 4 days ago)."""
    with db.connect(autocommit=True) as conn:
        load_huts(conn, [HutRecord("hrs", "7", "trend-hut", "Trend Hut", lat=46.0, lon=8.0)])
        (hut,) = huts_by_slug(conn, ["trend-hut"])
        checks = [
            (NOW - 20 * DAY, 30),  # S1
            (NOW - 15 * DAY, 30),
            (NOW - 12 * DAY, 25),  # S2
            (NOW - 6 * DAY, 25),
            (NOW - 4 * DAY, 20),  # S3
            (NOW - HOUR, 18),  # S4: today's change
            (NOW + HOUR, 10),  # S5: after `now`
        ]
        for at, free in checks:
            write_batch(conn, [result(hut, at, [free], start=TARGET)])
    return {
        "S1": NOW - 20 * DAY,
        "S2": NOW - 12 * DAY,
        "S3": NOW - 4 * DAY,
        "S4": NOW - HOUR,
        "S5": NOW + HOUR,
    }


def names(trend, starts) -> list[str]:
    by_time = {v: k for k, v in starts.items()}
    return [by_time[s.first_checked] for s in trend.states]


def test_trend_includes_the_state_in_force_when_the_window_opened_and_todays_changes(db):
    starts = add_trend_history(db)
    with db.connect() as conn:
        trend = for_trend(conn, "trend-hut", TARGET, 5, now=NOW)
    assert names(trend, starts) == ["S2", "S3", "S4"]
    assert (trend.window_start, trend.window_end) == (NOW - 5 * DAY, NOW)
    s2, s3, s4 = trend.states
    # S2: confirmed last 6 days ago, replaced 4 days ago: in force when the window opened
    assert (s2.free, s2.last_checked, s2.duration_seconds) == (25, NOW - 6 * DAY, 6 * 86400)
    assert s2.superseded_at == starts["S3"] and not s2.is_current
    assert s3.superseded_at == starts["S4"]
    # S4 is the state in force at `now`: the change seen 5 hours later is not in this window
    assert s4.is_current and s4.free == 18 and s4.last_checked == NOW - HOUR


def test_trend_window_boundaries(db):
    starts = add_trend_history(db)
    with db.connect() as conn:

        def at(days_before: float) -> list[str]:
            return names(for_trend(conn, "trend-hut", TARGET, days_before, now=NOW), starts)

        assert at(0) == ["S4"]  # only the state in force at now
        assert at(1 / 48) == ["S4"]  # half an hour: S4 (seen an hour ago) in force all along
        assert at(2 / 24) == ["S3", "S4"]  # two hours: S3 was still in force when it opened
        assert at(12) == ["S2", "S3", "S4"]  # S1 was replaced exactly when the window opened
        assert at(12.5) == ["S1", "S2", "S3", "S4"]
        assert at(1000) == ["S1", "S2", "S3", "S4"]
        # a `now` in the past ignores what was seen after it
        past = for_trend(conn, "trend-hut", TARGET, 3, now=NOW - 5 * DAY)
        assert names(past, starts) == ["S2"]
        # without `now`: the real clock, later than all checks
        assert names(for_trend(conn, "trend-hut", TARGET, 0), starts) == ["S5"]


def test_trend_of_a_date_without_history_and_of_unknown_huts(db):
    add_trend_history(db)
    with db.connect() as conn:
        assert for_trend(conn, "trend-hut", TARGET + DAY, 30, now=NOW).states == []
        with pytest.raises(UnknownHutError, match="no hut with slug 'nope'"):
            for_trend(conn, "nope", TARGET, 5, now=NOW)
        with pytest.raises(ValueError, match="days_before must not be negative"):
            for_trend(conn, "trend-hut", TARGET, -1, now=NOW)


def test_history_of_a_hut_date_lists_every_state_with_its_duration(db):
    starts = add_trend_history(db)
    with db.connect() as conn:
        history = hut_date_history(conn, "trend-hut", TARGET)
    assert (history.hut.slug, history.availability_date) == ("trend-hut", TARGET)
    states = history.states
    assert [s.first_checked for s in states] == list(starts.values())
    assert [s.duration_seconds for s in states] == [5 * 86400, 6 * 86400, 0, 0, 0]  # S3-S5 seen once
    assert [s.is_current for s in states] == [False] * 4 + [True]


# --- current availability (the one query of `show`, the API's table and the web table) ----------


def test_current_availability_filters(db):
    add_map_huts(db)
    base = AvailabilityFilter(date_from=TODAY, date_to=TODAY + 3 * DAY)
    with db.connect() as conn:

        def rows(**changes: Any) -> list[tuple[str, int]]:
            found = current_availability(conn, dataclasses.replace(base, **changes)).rows
            return [(r.slug, (r.availability_date - TODAY).days) for r in found]

        everything = rows()
        assert everything[:4] == [
            ("alpha-huette", 0),
            ("alpha-huette", 1),
            ("alpha-huette", 2),
            ("alpha-huette", 3),
        ]
        assert len(everything) == 12  # inactive huts are shown too: their data is still there
        assert rows(occupancy_statuses=("full",)) == [("alpha-huette", 1), ("alpha-huette", 2)]
        assert rows(occupancy_statuses=("full", "free_unknown")) == [
            ("alpha-huette", 1), ("alpha-huette", 2), ("bravo", 3)
        ]  # fmt: skip
        assert rows(reservation_statuses=("not_possible",), search="ALPHA") == [
            ("alpha-huette", 1), ("alpha-huette", 2)
        ]  # fmt: skip
        assert rows(search="rifugio") == [("bravo", d) for d in range(4)]  # by name
        assert rows(search="lta-clo") == [("delta-closed", d) for d in range(4)]  # by slug
        assert rows(search="hütte") == [("alpha-huette", d) for d in range(4)]
        assert rows(search="%") == []  # no wildcards
        assert rows(hut_types=("selfhut",)) == []
        assert len(rows(hut_types=("hut",))) == 12
        assert rows(sources=("other",)) == []
        assert rows(date_from=TODAY + 3 * DAY, limit=2) == [("alpha-huette", 3), ("delta-closed", 3)]  # by name
        row = current_availability(conn, dataclasses.replace(base, search="bravo", limit=1)).rows[0]
    assert (row.name, row.free, row.total, row.source, row.source_hut_id) == (
        "Rifugio Bravo",
        30,
        40,
        "hrs",
        "2",
    )
    assert row.occupancy_percent == 25.0


def test_current_availability_counts_every_page_in_one_round_trip(db):
    """`matched` is every row that passes the filters, on every page; the count runs in the page's
    own statement when a LIMIT may cut the rows, and not at all without one (the rows are all
    there); only a page past the end costs a second statement."""
    add_map_huts(db)
    base = AvailabilityFilter(date_from=TODAY, date_to=TODAY + 3 * DAY)  # 12 rows: 3 huts × 4 days
    with counting_connection(db) as conn:

        def page(**changes: Any) -> tuple[int, int, int]:
            """(rows, matched, statements) of one call."""
            before = CountingCursor.statements
            found = current_availability(conn, dataclasses.replace(base, **changes))
            return len(found.rows), found.matched, CountingCursor.statements - before

        assert page(limit=5) == (5, 12, 1)
        assert page(offset=10, limit=5) == (2, 12, 1)
        assert page(offset=12, limit=5) == (0, 12, 2)  # past the end: counted apart
        assert page(limit=None) == (12, 12, 1)
        assert page(offset=10, limit=None) == (2, 12, 1)
        assert page(offset=20, limit=None) == (0, 12, 2)
        assert page(search="nope") == (0, 0, 1)
        assert page(search="nope", limit=None) == (0, 0, 1)
        assert page(day_states=("full",), limit=1) == (1, 2, 1)


# --- read-only connections -----------------------------------------------------------------------


def test_read_only_connections_cannot_write(db):
    add_map_huts(db)
    with connect_read_only(db) as conn:
        assert for_map(conn, TODAY).matched == 3
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE huts SET name = 'x'")
    with connect_read_only(db, autocommit=False) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM hut_availability")
