"""The trend derivation: full dates, places booked per local day, occupancy a week ago."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hut_availability_pipeline.domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, huts_by_slug, load_huts
from hut_availability_pipeline.storage.read_models import UnknownHutError
from hut_availability_pipeline.storage.trends import compute_trends, read_trends, trend_highlights
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import result

ZURICH = "Europe/Zurich"
NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)  # 14:00 in Zurich; the week is 07-04 .. 07-10
D1, D2, D3, D4, PAST = (dt.date(2026, 7, d) for d in (20, 12, 15, 16, 9))


def utc(day: int, hour: int, minute: int = 0, month: int = 7) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def add_history(db: Database) -> None:
    """Checks of two huts at chosen times (each check one write_batch, as the engine does)."""
    with db.connect(autocommit=True) as conn:
        load_huts(conn, [HutRecord("hrs", "1", "alpha", "Alpha"), HutRecord("hrs", "2", "bravo", "Bravo")])
        alpha, bravo = huts_by_slug(conn, ["alpha", "bravo"])
        checks = [
            (alpha, D1, utc(20, 12, month=6), 30),
            (alpha, D1, utc(2, 12), 25),  # in force a week ago and when the week began
            (alpha, D1, utc(5, 10), 20),
            (alpha, D1, utc(5, 18), 18),
            (alpha, D1, utc(8, 9), 0),  # full: 11:00 in Zurich on 07-08, 12 days before
            (alpha, D1, utc(9, 9), 2),  # a cancellation
            (alpha, D1, utc(10, 11), 0),  # full again today, before now
            (alpha, D1, utc(10, 13), 5),  # after now: ignored
            (alpha, D2, utc(9, 9), 10),  # first seen on 07-09
            (alpha, D2, utc(9, 15), 8),
            (alpha, PAST, utc(1, 9), 4),
            (alpha, PAST, utc(8, 9), 1),
            (bravo, D3, utc(3, 12), 40),
            (bravo, D3, utc(4, 22, 30), 35),  # 00:30 on 07-05 in Zurich (still 07-04 in UTC)
        ]
        for hut, day, at, free in checks:
            write_batch(conn, [result(hut, at, [free], start=day)])
        closed = {"total": 0, "hut_type": HutTypeEnum.closed, "status": ReservationStatusEnum.not_online}
        write_batch(conn, [result(bravo, utc(6, 8), [None], start=D4, **closed)])  # closed: no places at all


def plain(value):
    """A cell with pandas' missing values as None."""
    return None if not isinstance(value, list) and pd.isna(value) else value


def by_date(frame) -> dict:
    return {row["availability_date"]: {k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")}


def test_trends_of_upcoming_dates(db):
    add_history(db)
    with db.connect() as conn:
        run = compute_trends(conn, NOW, ZURICH)
        trends = read_trends(conn)
    assert (run.computed_at, run.today) == (NOW, dt.date(2026, 7, 10))
    assert (run.rows, run.huts, run.full_dates, run.booked_dates, run.replaced) == (4, 2, 1, 2, 0)
    assert list(trends["slug"]) == ["alpha", "alpha", "bravo", "bravo"]
    rows = by_date(trends)
    assert PAST not in rows

    d1 = rows[D1]
    assert (d1["free"], d1["total"], d1["occupancy_percent"], d1["is_full"]) == (0, 40, 100.0, True)
    assert d1["became_full_at"] == utc(8, 9) and d1["days_before_full"] == 12
    # free at the local midnights of 07-04 .. 07-10 and now: 25 25 18 18 18 0 2 | 0
    assert d1["booked_per_day"] == [0, 7, 0, 0, 18, -2, 2]
    assert d1["booked_last_week"] == 25
    assert d1["changes_last_week"] == 5
    assert (d1["free_week_ago"], d1["occupancy_week_ago"]) == (25, 37.5)
    assert d1["computed_at"] == NOW

    d2 = rows[D2]  # tracked since 07-09: earlier days unknown
    assert d2["booked_per_day"] == [None] * 6 + [0]
    assert (d2["booked_last_week"], d2["changes_last_week"], d2["free"]) == (0, 2, 8)
    assert (d2["free_week_ago"], d2["occupancy_week_ago"]) == (None, None)
    assert (d2["became_full_at"], d2["days_before_full"], d2["is_full"]) == (None, None, False)

    d3 = rows[D3]  # a change at 00:30 local time counts for that local day, not the UTC one
    assert d3["booked_per_day"] == [0, 5, 0, 0, 0, 0, 0]
    assert (d3["free_week_ago"], d3["occupancy_week_ago"]) == (40, 0.0)

    d4 = rows[D4]  # no places at all is not full
    assert (d4["is_full"], d4["became_full_at"], d4["free"], d4["total"]) == (False, None, None, 0)
    assert d4["day_state"] == "closed" and d1["day_state"] == "full"


def test_a_night_sold_out_online_counts_as_full(db):
    """Not bookable online (no numbers, nothing left online) is sold out: it became full then."""
    with db.connect(autocommit=True) as conn:
        load_huts(conn, [HutRecord("hrs", "1", "alpha", "Alpha")])
        [alpha] = huts_by_slug(conn, ["alpha"])
        write_batch(conn, [result(alpha, utc(3, 9), [6], start=D1)])
        sold_out = {"total": 0, "status": ReservationStatusEnum.not_possible, "state": DayState.not_bookable_online}
        write_batch(conn, [result(alpha, utc(6, 9), [None], start=D1, **sold_out)])
        run = compute_trends(conn, NOW, ZURICH)
        d1 = by_date(read_trends(conn))[D1]
    assert run.full_dates == 1
    assert (d1["day_state"], d1["is_full"], d1["became_full_at"], d1["days_before_full"]) == (
        "not_bookable_online", True, utc(6, 9), 14
    )  # fmt: skip
    assert (d1["free"], d1["total"], d1["free_week_ago"]) == (None, 0, 6)


def test_a_night_never_seen_with_places_did_not_become_full(db):
    """Not bookable online, or full, from its first check: sold out, but it never *became* full
    (the first crawl is not the moment it filled up); a night seen with places later is."""
    with db.connect(autocommit=True) as conn:
        load_huts(conn, [HutRecord("hrs", "1", "alpha", "Alpha")])
        [alpha] = huts_by_slug(conn, ["alpha"])
        sold_out = {"total": 0, "status": ReservationStatusEnum.not_possible, "state": DayState.not_bookable_online}
        write_batch(conn, [result(alpha, utc(3, 9), [None], start=D1, **sold_out)])
        write_batch(conn, [result(alpha, utc(3, 9), [0], start=D3)])  # full from the first check
        write_batch(conn, [result(alpha, utc(6, 9), [4], start=D3)])  # a cancellation
        write_batch(conn, [result(alpha, utc(8, 9), [0], start=D3)])  # full again: it became full now
        run = compute_trends(conn, NOW, ZURICH)
        rows = by_date(read_trends(conn))
    assert run.full_dates == 2
    assert (rows[D1]["is_full"], rows[D1]["became_full_at"], rows[D1]["days_before_full"]) == (True, None, None)
    assert (rows[D3]["is_full"], rows[D3]["became_full_at"], rows[D3]["days_before_full"]) == (True, utc(8, 9), 7)


def test_rerun_replaces_upcoming_dates_and_keeps_passed_ones(db):
    add_history(db)
    earlier = utc(8, 12)
    with db.connect() as conn:
        first = compute_trends(conn, earlier, ZURICH)
        assert first.rows == 4  # PAST (07-09) was still upcoming then; D2 was not seen yet
        second = compute_trends(conn, NOW, ZURICH)
        again = compute_trends(conn, NOW, ZURICH)
        rows = by_date(read_trends(conn, "alpha"))
    assert (second.replaced, again.replaced, again.rows) == (3, 4, 4)  # PAST is no longer replaced
    assert rows[PAST]["computed_at"] == earlier  # kept as last derived
    assert rows[PAST]["free"] == 1 and rows[D1]["computed_at"] == NOW


def test_a_run_as_of_the_past_ignores_later_checks(db):
    add_history(db)
    with db.connect() as conn:
        compute_trends(conn, utc(8, 12), ZURICH)
        d1 = by_date(read_trends(conn, "alpha", D1, D1))[D1]
    # week 07-02 .. 07-08: free at the local midnights 30 25 25 25 18 18 18 | now 0
    assert d1["booked_per_day"] == [5, 0, 0, 7, 0, 0, 18]
    assert (d1["free"], d1["is_full"], d1["days_before_full"], d1["free_week_ago"]) == (0, True, 12, 30)
    assert d1["changes_last_week"] == 4


def test_read_trends_filters_and_highlights(db):
    add_history(db)
    with db.connect() as conn:
        compute_trends(conn, NOW, ZURICH)
        assert list(read_trends(conn, "bravo")["availability_date"]) == [D3, D4]
        assert list(read_trends(conn, date_from=D3, date_to=D3)["slug"]) == ["bravo"]
        assert read_trends(conn, date_from=dt.date(2027, 1, 1)).empty
        with pytest.raises(UnknownHutError):
            read_trends(conn, "nope")
        top = trend_highlights(conn, dt.date(2026, 7, 10), limit=3)
    assert list(zip(top["slug"], top["booked_last_week"], strict=True)) == [("alpha", 25), ("bravo", 5), ("alpha", 0)]


def test_trends_of_an_empty_database(db):
    with db.connect() as conn:
        run = compute_trends(conn, NOW, ZURICH)
        assert (run.rows, run.huts, run.replaced) == (0, 0, 0)
        assert read_trends(conn).empty
        assert trend_highlights(conn, NOW.date()).empty
