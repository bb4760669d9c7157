"""Trends: for every hut and upcoming date, how its free places evolved, derived from the change
history into `hut_availability_trends` (migration 0003) so that readers need not scan history.

Per hut-date: when it became full and how many days before the date that was; the places booked
(net of cancellations) on each of the last 7 days; and the occupancy a week ago. The SQL is
`sql/queries/trend_compute.sql`; Dagster runs it daily (defs/trends/trends.py).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import class_row

from ..domain.dates import Zone, aware_now, today_in, zone_info
from .queries import execute_unprepared, find_hut
from .sqlfiles import query

if TYPE_CHECKING:
    import pandas as pd  # imported where a frame is built: loading the definitions needs no pandas


@dataclass(frozen=True)
class TrendRun:
    """What one derivation did: the `now` it used, its local date, and counts of rows written."""

    computed_at: dt.datetime
    today: dt.date
    rows: int  # hut-dates derived (upcoming dates with a state in force at `computed_at`)
    huts: int
    full_dates: int  # hut-dates sold out online (full or not bookable online) at `computed_at`
    booked_dates: int  # hut-dates with places booked in the last week
    replaced: int  # rows of upcoming dates the run replaced
    seconds: float


def compute_trends(conn: psycopg.Connection[Any], now: dt.datetime | None, zone: Zone) -> TrendRun:
    """Derive the trends of every hut and upcoming date as of `now` (default: the clock), in one
    transaction: readers see the previous trends until it commits. Passed dates keep their last
    derived trend."""
    started = time.perf_counter()
    at = aware_now(now)
    today = today_in(zone_info(zone), at)
    params = {"now": at, "today": today, "zone": zone_info(zone).key}
    with conn.transaction():
        replaced = conn.execute(query("trend_delete_upcoming"), params).rowcount
        row = conn.execute(query("trend_compute"), params).fetchone()
    assert row is not None
    rows, huts, full_dates, booked_dates = (int(v) for v in row)
    return TrendRun(at, today, rows, huts, full_dates, booked_dates, replaced, time.perf_counter() - started)


def _frame(cursor: psycopg.Cursor[Any]) -> pd.DataFrame:
    """The rows as a DataFrame with nullable dtypes (NULL integers stay integers, as <NA>)."""
    import pandas as pd

    columns = [c.name for c in cursor.description or ()]
    return pd.DataFrame(cursor.fetchall(), columns=columns).convert_dtypes()


def read_trends(
    conn: psycopg.Connection[Any],
    hut: int | str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pd.DataFrame:
    """Stored trends (optionally of one hut, by id or slug, and a date range), by slug and date;
    UnknownHutError when the hut does not exist."""
    hut_id = find_hut(conn, hut).hut_id if hut is not None else None
    return _frame(
        execute_unprepared(conn, "trend_read", {"hut_id": hut_id, "date_from": date_from, "date_to": date_to})
    )


@dataclass(frozen=True)
class NightTrend:
    """The stored trend of one hut-date (a row of `hut_availability_trends` with its hut)."""

    slug: str
    name: str
    availability_date: dt.date
    computed_at: dt.datetime
    day_state: str | None
    free: int | None
    total: int | None
    occupancy_percent: float | None
    is_full: bool
    became_full_at: dt.datetime | None
    days_before_full: int | None
    booked_per_day: list[int | None]  # the 7 days ending on computed_at's date, oldest first
    booked_last_week: int | None
    changes_last_week: int
    free_week_ago: int | None
    occupancy_week_ago: float | None


def night_trends(
    conn: psycopg.Connection[Any], hut: int | str, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[NightTrend]:
    """The stored trends of one hut (by id or slug) in [date_from, date_to], by date, as named
    rows (the API and the web pages); UnknownHutError when the hut does not exist."""
    hut_id = find_hut(conn, hut).hut_id
    cursor = conn.cursor(row_factory=class_row(NightTrend))
    return cursor.execute(
        query("trend_read"),
        {"hut_id": hut_id, "date_from": date_from, "date_to": date_to},
        prepare=False,  # optional filters: see execute_unprepared
    ).fetchall()


def trend_highlights(conn: psycopg.Connection[Any], today: dt.date, limit: int = 10) -> pd.DataFrame:
    """The upcoming hut-dates with the most places booked in the last week (then those that
    filled up earliest): a short list for summaries."""
    return _frame(conn.execute(query("trend_highlights"), {"today": today, "limit": limit}))
