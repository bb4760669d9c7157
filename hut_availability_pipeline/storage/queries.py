"""The read side's queries: current availability for a map, one hut's days, the trend and the
history of a hut-date, the availability rows (`show`, `/v1/availability`, the web table), and
the huts due for a refresh.

Every query is a named SQL file (`sql/queries/read_*.sql`) with bound parameters; its rows are read
by column name into the dataclasses of `read_models`. Readers open their connections with
`read_only.connect_read_only`, so that nothing on the read side can write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row, scalar_row

from ..domain.dates import DEFAULT_TIMEZONE, Zone, aware_now, date_range
from ..domain.tiers import TierPolicy
from .read_models import (
    AvailabilityFilter,
    AvailabilityPage,
    AvailabilityRow,
    DayAvailability,
    HutAvailability,
    HutDateHistory,
    HutInfo,
    HutState,
    MapGeoJSON,
    MapPage,
    Trend,
    UnknownHutError,
)
from .selection import HutPriority, due_huts
from .sqlfiles import query

MAP_DAYS = 4  # for_map: today and the next 3 days
DETAIL_DAYS = 14  # for_hut_detail: today and the next 13 days


def execute_unprepared(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> psycopg.Cursor[Any]:
    """Run a named query with optional filters ("%(x)s IS NULL OR ...", LIMIT NULL) without
    preparing it: psycopg prepares a statement after 5 runs, and PostgreSQL may then switch to a
    generic plan, which for the map took 1.1 s instead of 14 ms (a scan of all current rows per hut)."""
    return conn.cursor(row_factory=dict_row).execute(query(name), params, prepare=False)


_HUT_FIELDS = tuple(f.name for f in fields(HutInfo))
_DAY_FIELDS = tuple(f.name for f in fields(DayAvailability))


def _hut(row: dict[str, Any]) -> HutInfo:
    return HutInfo(**{name: row[name] for name in _HUT_FIELDS})


def _day(row: dict[str, Any]) -> DayAvailability:
    return DayAvailability(**{name: row[name] for name in _DAY_FIELDS})


def _huts_with_days(rows: Sequence[dict[str, Any]]) -> list[HutAvailability]:
    """Group rows of read_map / read_hut_detail (a hut's columns and a day's, by name) by hut."""
    out: list[HutAvailability] = []
    for row in rows:
        if row["hut_id"] is None:
            continue  # an empty page
        if not out or out[-1].hut.hut_id != row["hut_id"]:
            out.append(HutAvailability(hut=_hut(row)))
        if row["availability_date"] is not None:
            out[-1].days.append(_day(row))
    return out


def _map_params(
    date_from: dt.date | None,
    date_to: dt.date | None,
    slugs: Sequence[str] | None,
    offset: int,
    limit: int | None,
    zone: Zone,
    now: dt.datetime | None,
) -> dict[str, Any]:
    start, end = date_range(date_from, date_to, MAP_DAYS, zone=zone, now=now)
    if offset < 0 or (limit is not None and limit < 0):
        raise ValueError(f"offset ({offset}) and limit ({limit}) must not be negative")
    slug_list = list(slugs) if slugs is not None else None
    return {"date_from": start, "date_to": end, "slugs": slug_list, "offset": offset, "limit": limit}


def for_map(
    conn: psycopg.Connection[Any],
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    slugs: Sequence[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
    zone: Zone = DEFAULT_TIMEZONE,
    now: dt.datetime | None = None,
) -> MapPage:
    """Every active hut (or those of `slugs`), in slug order, with its days in
    [date_from, date_to] (default: today and the next 3 days), in one round trip.

    `offset`/`limit` page through the huts, not the days; huts without a state in the range are
    included with no days, so the map can show them as unknown.
    """
    params = _map_params(date_from, date_to, slugs, offset, limit, zone, now)
    rows = execute_unprepared(conn, "read_map", params).fetchall()
    matched = int(rows[0]["matched_huts"]) if rows else 0
    return MapPage(params["date_from"], params["date_to"], _huts_with_days(rows), matched, offset, limit)


def for_map_geojson(
    conn: psycopg.Connection[Any],
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    slugs: Sequence[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
    zone: Zone = DEFAULT_TIMEZONE,
    now: dt.datetime | None = None,
) -> MapGeoJSON:
    """The same huts and days as `for_map`, as a GeoJSON FeatureCollection serialized by
    PostgreSQL: the map endpoint's hot path, free of per-row Python work (a 567-hut map is ~2,300
    hut-dates), in one round trip."""
    params = _map_params(date_from, date_to, slugs, offset, limit, zone, now)
    row = execute_unprepared(conn, "read_map_geojson", params).fetchone()
    assert row is not None  # an aggregate without GROUP BY: always one row
    return MapGeoJSON(row["geojson"], params["date_from"], params["date_to"], row["last_checked"])


def _hut_params(hut: int | str) -> dict[str, Any]:
    if isinstance(hut, bool) or not isinstance(hut, int | str):
        raise TypeError(f"a hut is an id (int) or a slug (str), got {hut!r}")
    return {"hut_id": hut, "slug": None} if isinstance(hut, int) else {"hut_id": None, "slug": hut}


def for_hut_detail(
    conn: psycopg.Connection[Any],
    hut: int | str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    zone: Zone = DEFAULT_TIMEZONE,
    now: dt.datetime | None = None,
) -> HutAvailability:
    """One hut (by id or slug, active or not) with its days in [date_from, date_to] (default:
    today and the next 13 days), in one round trip; UnknownHutError when there is no such hut."""
    start, end = date_range(date_from, date_to, DETAIL_DAYS, zone=zone, now=now)
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(query("read_hut_detail"), {**_hut_params(hut), "date_from": start, "date_to": end})
        .fetchall()
    )
    huts = _huts_with_days(rows)
    if not huts:
        raise UnknownHutError(hut)
    return huts[0]


def find_hut(conn: psycopg.Connection[Any], hut: int | str) -> HutInfo:
    """A hut by id or slug, active or not; UnknownHutError when there is none."""
    row = conn.cursor(row_factory=dict_row).execute(query("read_hut"), _hut_params(hut)).fetchone()
    if row is None:
        raise UnknownHutError(hut)
    return _hut(row)


def unknown_slugs(conn: psycopg.Connection[Any], slugs: Sequence[str]) -> list[str]:
    """Those of `slugs` that name no hut, in the given order."""
    cursor = conn.cursor(row_factory=scalar_row)
    return cursor.execute(query("read_unknown_slugs"), {"slugs": list(slugs)}).fetchall()


def get_huts_needing_update(
    conn: psycopg.Connection[Any], policy: TierPolicy, now: dt.datetime, zone: Zone
) -> list[HutPriority]:
    """The huts due for a refresh at `now` under the tiers of `policy`, "today" being in `zone`,
    most urgent first, each once with its tier: the core's priority selection
    (storage.selection.due_huts, one row per hut), not a copy of it."""
    return due_huts(conn, policy, aware_now(now), zone)


def for_trend(
    conn: psycopg.Connection[Any],
    hut: int | str,
    target_date: dt.date,
    days_before: float,
    now: dt.datetime | None = None,
) -> Trend:
    """The states of `hut` on `target_date` in force at any time in the window
    [now − days_before, now], oldest first, with first check, effective last check and duration.

    A state is in force from its first check until the next state's first check, so the state
    already in force when the window opened is included, and so are today's changes (the window
    ends at `now`, not at the target date's midnight). UnknownHutError when there is no such hut.
    """
    if days_before < 0:
        raise ValueError(f"days_before must not be negative, got {days_before}")
    end = aware_now(now)
    try:
        start = end - dt.timedelta(days=days_before)
    except OverflowError:
        raise ValueError(f"days_before {days_before} reaches beyond the calendar") from None
    info = find_hut(conn, hut)
    states = (
        conn.cursor(row_factory=class_row(HutState))
        .execute(
            query("read_trend"),
            {"hut_id": info.hut_id, "availability_date": target_date, "now": end, "window_start": start},
        )
        .fetchall()
    )
    return Trend(info, target_date, start, end, states)


def hut_date_history(conn: psycopg.Connection[Any], hut: int | str, availability_date: dt.date) -> HutDateHistory:
    """Every state of one hut-date, oldest first, each with its duration (the seed's history
    admin); UnknownHutError when there is no such hut."""
    info = find_hut(conn, hut)
    states = (
        conn.cursor(row_factory=class_row(HutState))
        .execute(query("read_history"), {"hut_id": info.hut_id, "availability_date": availability_date})
        .fetchall()
    )
    return HutDateHistory(info, availability_date, states)


@dataclass(frozen=True)
class _CountedRow(AvailabilityRow):
    """A row of read_current: a hut-date's current state, and how many rows match in all (None
    when the query was not asked to count)."""

    matched: int | None


def current_availability(conn: psycopg.Connection[Any], filters: AvailabilityFilter) -> AvailabilityPage:
    """The one availability query of the read side (`show`, the API's `/v1/availability`, the
    web table and its CSV): one page of the hut-dates' current states passing `filters`, in their
    order, and how many pass in all; in one round trip (two for a page past the end).

    The query counts only when a LIMIT may cut the rows: without one, the page is every row from
    the offset on, and counting would walk the range a second time."""

    def any_of(values: tuple[str, ...]) -> list[str] | None:
        return list(values) if values else None

    if any("\x00" in text for text in (filters.search or "", *filters.sources)):
        return AvailabilityPage([], 0, filters)  # PostgreSQL text cannot hold NUL: no name or source contains it
    cursor = conn.cursor(row_factory=class_row(_CountedRow))
    rows = cursor.execute(
        query("read_current"),
        {
            "date_from": filters.date_from,
            "date_to": filters.date_to,
            "occupancy_statuses": any_of(filters.occupancy_statuses),
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
            "count": filters.limit is not None,
        },
        prepare=False,  # optional filters, sort keys and count folded by their values: see execute_unprepared
    ).fetchall()
    if rows and rows[0].matched is not None:
        matched = rows[0].matched
    elif rows or filters.offset == 0:  # not counted (no LIMIT), or nothing matches
        matched = filters.offset + len(rows)
    else:  # past the end: count the rows
        matched = current_availability(conn, replace(filters, offset=0, limit=1)).matched
    plain = [AvailabilityRow(**{name: getattr(r, name) for name in _ROW_FIELDS}) for r in rows]
    return AvailabilityPage(plain, matched, filters)


_ROW_FIELDS = tuple(f.name for f in fields(AvailabilityRow))


def source_slugs(conn: psycopg.Connection[Any]) -> list[str]:
    """The booking sources' slugs (for the source filter)."""
    return conn.cursor(row_factory=scalar_row).execute(query("read_sources")).fetchall()
