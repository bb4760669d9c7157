"""The availability browser's query (the web front end's table and the API's `/v1/availability`):
the current state of hut-dates, filtered, sorted by a fixed set of keys, one page at a time, with
how many rows match in all. The SQL is `sql/queries/browse_current.sql`; rows are read by name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from typing import Any

import psycopg
from psycopg.rows import class_row, scalar_row

from .read_models import AvailabilityRow
from .sqlfiles import query

SORT_KEYS = ("name", "date", "free", "total", "occupancy", "state", "last_checked")
MAX_PAGE_ROWS = 10_000


@dataclass(frozen=True)
class BrowseFilter:
    """What the table shows: filters (an empty tuple or None means "any"; a `date_to` before
    `date_from` matches nothing), the sort and the page."""

    date_from: dt.date
    date_to: dt.date
    day_states: tuple[str, ...] = ()
    reservation_statuses: tuple[str, ...] = ()
    hut_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_free: int | None = None  # the party size: nights with at least this many free places
    search: str | None = None
    sort: str = "name"
    descending: bool = False
    offset: int = 0
    limit: int = 100

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"sort {self.sort!r}: use one of {', '.join(SORT_KEYS)}")
        if self.offset < 0 or not 1 <= self.limit <= MAX_PAGE_ROWS:
            raise ValueError(f"offset ({self.offset}) must be >= 0 and limit ({self.limit}) in 1..{MAX_PAGE_ROWS}")


@dataclass(frozen=True)
class BrowseRow(AvailabilityRow):
    """A row of the table: a hut-date's current state, and how many rows match in all."""

    matched: int


@dataclass(frozen=True)
class BrowsePage:
    rows: list[AvailabilityRow]
    matched: int  # rows passing the filters, on every page
    filters: BrowseFilter


_ROW_FIELDS = tuple(f.name for f in fields(AvailabilityRow))


def browse(conn: psycopg.Connection[Any], filters: BrowseFilter) -> BrowsePage:
    """One page of the table for `filters`, in one round trip."""

    def any_of(values: tuple[str, ...]) -> list[str] | None:
        return list(values) if values else None

    if any("\x00" in text for text in (filters.search or "", *filters.sources)):
        return BrowsePage([], 0, filters)  # PostgreSQL text cannot hold NUL: no name or source contains it
    cursor = conn.cursor(row_factory=class_row(BrowseRow))
    rows = cursor.execute(
        query("browse_current"),
        {
            "date_from": filters.date_from,
            "date_to": filters.date_to,
            "reservation_statuses": any_of(filters.reservation_statuses),
            "hut_types": any_of(filters.hut_types),
            "day_states": any_of(filters.day_states),
            "sources": any_of(filters.sources),
            "min_free": filters.min_free,
            "search": filters.search or None,
            "sort": filters.sort,
            "descending": filters.descending,
            "offset": filters.offset,
            "limit": filters.limit,
        },
        prepare=False,  # optional filters: a generic plan would scan everything (see queries.execute_unprepared)
    ).fetchall()
    matched = rows[0].matched if rows else 0
    if not rows and filters.offset > 0:
        matched = browse(conn, replace(filters, offset=0, limit=1)).matched  # past the end: count the rows
    plain = [AvailabilityRow(**{name: getattr(r, name) for name in _ROW_FIELDS}) for r in rows]
    return BrowsePage(plain, matched, filters)


def sources(conn: psycopg.Connection[Any]) -> list[str]:
    """The booking sources' slugs (for the source filter)."""
    return conn.cursor(row_factory=scalar_row).execute(query("browse_sources")).fetchall()
