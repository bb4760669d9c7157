"""The stored forecast (`hut_availability_forecast`, migration 0012): replaced as a whole by each
daily run, read per hut and night by the API, the night page and watches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from .sqlfiles import query

__all__ = ["SellOutHistory", "StoredForecast", "read_forecast", "replace_forecast", "sell_out_history"]

_COLUMNS = (
    "hut_id",
    "availability_date",
    "as_of",
    "free_now",
    "observed_at",
    "median_free",
    "p_sold_out",
    "p_frees_up",
    "history_nights",
)
_COPY_SQL = sql.SQL("COPY hut_availability_forecast ({}) FROM STDIN").format(
    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
)


@dataclass(frozen=True)
class StoredForecast:
    """One hut-night's forecast as stored."""

    hut: str
    date: dt.date
    as_of: dt.datetime
    free_now: int
    observed_at: dt.datetime
    median_free: int
    p_sold_out: float
    p_frees_up: float | None
    history_nights: int


def replace_forecast(conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> int:
    """Replace the stored forecast by `rows` (tuples in the table's column order, hut_id first), in
    one transaction: readers see the previous forecast until it commits. Returns the rows stored."""
    n = 0
    with conn.transaction():
        conn.execute("DELETE FROM hut_availability_forecast")
        with conn.cursor().copy(_COPY_SQL) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    return n


def read_forecast(conn: psycopg.Connection[Any], slug: str, date: dt.date | None = None) -> list[StoredForecast]:
    """The stored forecast of a hut's nights (one night when `date` is given), by date."""
    cursor = conn.cursor(row_factory=class_row(StoredForecast))
    return cursor.execute(query("forecast_read"), {"slug": slug, "date": date}).fetchall()


@dataclass(frozen=True)
class SellOutHistory:
    """How a hut's past nights sold out (the year before a day), from their derived trends."""

    nights: int
    sold_out: int
    median_days_before: int | None  # median days before the night that sold-out nights became full


def sell_out_history(conn: psycopg.Connection[Any], hut_id: int, today: dt.date) -> SellOutHistory:
    """The hut's past nights with a derived trend: how many sold out, and how long before."""
    cursor = conn.cursor(row_factory=class_row(SellOutHistory))
    row = cursor.execute(query("forecast_sell_out_history"), {"hut_id": hut_id, "today": today}).fetchone()
    return row or SellOutHistory(0, 0, None)
