"""The read side: current availability for a map, one hut's days, the trend of a hut-date, the
huts due for a refresh, and date words ("today", "weekend").

Every query is a named SQL file (`sql/queries/read_*.sql`) with bound parameters, returning typed
rows. Readers (the `show` browser, the HTTP API) open their connections with `connect_read_only`
so that nothing on the read side can write.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..config import DEFAULT_TIMEZONE, Settings
from .database import Database
from .selection import HutPriority, due_huts, today_in
from .sqlfiles import query

MAP_DAYS = 4  # for_map: today and the next 3 days
DETAIL_DAYS = 14  # for_hut_detail: today and the next 13 days
DATE_WORDS = ("today", "tomorrow", "weekend")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Zone = str | zoneinfo.ZoneInfo


class UnknownHutError(LookupError):
    """No hut has this slug or id; the message names it."""

    def __init__(self, hut: int | str) -> None:
        self.hut = hut
        what = f"id {hut}" if isinstance(hut, int) else f"slug {hut!r}"
        super().__init__(f"no hut with {what}")


@dataclass(frozen=True)
class HutInfo:
    """A hut as the read side shows it."""

    hut_id: int
    slug: str
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    elevation: int | None
    capacity: int | None
    source: str | None
    source_hut_id: str | None
    is_active: bool


@dataclass(frozen=True)
class DayAvailability:
    """The current state of a hut on one availability date (a row of `hut_availability`)."""

    availability_date: dt.date
    free: int | None
    total: int | None
    occupancy_percent: float | None
    occupancy_steps: int | None
    occupancy_status: str
    reservation_status: str
    hut_type: str
    day_state: str
    link: str | None
    first_checked: dt.datetime
    last_checked: dt.datetime


@dataclass(frozen=True)
class HutAvailability:
    """A hut with its days in a date range (days without a stored state are absent)."""

    hut: HutInfo
    days: list[DayAvailability] = field(default_factory=list)

    @property
    def last_checked(self) -> dt.datetime | None:
        """The newest check among its days (None without days)."""
        return max((d.last_checked for d in self.days), default=None)


@dataclass(frozen=True)
class MapPage:
    """A page of huts for the map, the date range it covers and how many huts match in all."""

    date_from: dt.date
    date_to: dt.date
    huts: list[HutAvailability]
    matched: int
    offset: int = 0
    limit: int | None = None

    @property
    def last_checked(self) -> dt.datetime | None:
        """The newest check on the page (None when it holds no state)."""
        return max((c for h in self.huts if (c := h.last_checked) is not None), default=None)


@dataclass(frozen=True)
class HutState:
    """One state of a hut-date from the history, with its effective last check and duration.

    `superseded_at` is the first check of the next state (None while the state is the latest);
    a state is in force from `first_checked` until then.
    """

    state_id: int
    free: int | None
    total: int | None
    occupancy_percent: float | None
    hut_type: str
    reservation_status: str
    day_state: str
    first_checked: dt.datetime
    last_checked: dt.datetime | None
    duration_seconds: float | None
    superseded_at: dt.datetime | None

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


@dataclass(frozen=True)
class Trend:
    """The states of one hut-date in force at some time in [window_start, window_end], in order."""

    hut: HutInfo
    availability_date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    states: list[HutState]


@dataclass(frozen=True)
class HutDateHistory:
    """Every state of one hut-date, oldest first."""

    hut: HutInfo
    availability_date: dt.date
    states: list[HutState]


@dataclass(frozen=True)
class AvailabilityFilter:
    """Filters of `current_availability`; an empty tuple or None means "any"."""

    date_from: dt.date
    date_to: dt.date
    occupancy_statuses: tuple[str, ...] = ()
    reservation_statuses: tuple[str, ...] = ()
    hut_types: tuple[str, ...] = ()
    day_states: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    search: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class AvailabilityRow:
    """One hut-date of the current state with its hut's slug, name and source."""

    slug: str
    name: str
    availability_date: dt.date
    free: int | None
    total: int | None
    occupancy_percent: float | None
    occupancy_steps: int | None
    occupancy_status: str
    reservation_status: str
    hut_type: str
    day_state: str
    source: str | None
    source_hut_id: str | None
    link: str | None
    first_checked: dt.datetime
    last_checked: dt.datetime


# --- dates ---------------------------------------------------------------------------------------


def zone_info(zone: Zone) -> zoneinfo.ZoneInfo:
    """The zone itself, given by name or as a ZoneInfo."""
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone


def aware_now(now: dt.datetime | None) -> dt.datetime:
    """`now`, or the clock when None; a naive time is refused (its zone would be a guess)."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now


def parse_date(text: str, zone: Zone = DEFAULT_TIMEZONE, now: dt.datetime | None = None) -> dt.date:
    """An ISO date (YYYY-MM-DD) or one of the words `today`, `tomorrow`, `weekend` (the coming
    Saturday: today on a Saturday) in the configured zone; ValueError says what is accepted."""
    word = text.strip().lower()
    today = today_in(zone_info(zone), aware_now(now))
    if word == "today":
        return today
    if word == "tomorrow":
        return today + dt.timedelta(days=1)
    if word == "weekend":
        return today + dt.timedelta(days=(5 - today.weekday()) % 7)
    if _ISO_DATE.match(word):
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            pass
    raise ValueError(f"bad date {text!r}: use YYYY-MM-DD or one of {', '.join(DATE_WORDS)}")


def date_range(
    date_from: dt.date | None,
    date_to: dt.date | None,
    days: int,
    *,
    zone: Zone = DEFAULT_TIMEZONE,
    now: dt.datetime | None = None,
) -> tuple[dt.date, dt.date]:
    """[date_from, date_to], both inclusive: from today and `days` days long unless given;
    ValueError when the range is empty or leaves the calendar."""
    start = date_from if date_from is not None else today_in(zone_info(zone), aware_now(now))
    try:
        end = date_to if date_to is not None else start + dt.timedelta(days=days - 1)
    except OverflowError:
        raise ValueError(f"{days} days from {start.isoformat()} is beyond the calendar") from None
    if end < start:
        raise ValueError(f"date range is empty: {end.isoformat()} is before {start.isoformat()}")
    return start, end


# --- connections ---------------------------------------------------------------------------------


def make_read_only(conn: psycopg.Connection[Any]) -> None:
    """Make every later transaction of this session read-only (writes fail with an error)."""
    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    if not conn.autocommit:
        conn.commit()


@contextmanager
def connect_read_only(db: Database, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
    """A connection (autocommit unless asked otherwise) on which nothing can be written."""
    kwargs.setdefault("autocommit", True)
    with db.connect(**kwargs) as conn:
        make_read_only(conn)
        yield conn


# --- queries -------------------------------------------------------------------------------------


def execute_unprepared(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> psycopg.Cursor[Any]:
    """Run a named query with optional filters ("%(x)s IS NULL OR ...", LIMIT NULL) without
    preparing it: psycopg prepares a statement after 5 runs, and PostgreSQL may then switch to a
    generic plan, which for the map took 1.1 s instead of 14 ms (a scan of all current rows per hut)."""
    return conn.execute(query(name), params, prepare=False)  # type: ignore[arg-type]


def _hut(row: Sequence[Any]) -> HutInfo:
    return HutInfo(*row[:11])


def _day(row: Sequence[Any]) -> DayAvailability:
    return DayAvailability(*row[11:23])


def _huts_with_days(rows: Sequence[Sequence[Any]]) -> list[HutAvailability]:
    """Group rows of read_map / read_hut_detail (hut columns, then day columns) by hut."""
    out: list[HutAvailability] = []
    for row in rows:
        if row[0] is None:
            continue  # an empty page
        if not out or out[-1].hut.hut_id != row[0]:
            out.append(HutAvailability(hut=_hut(row)))
        if row[11] is not None:
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
    matched = int(rows[0][-1]) if rows else 0
    return MapPage(params["date_from"], params["date_to"], _huts_with_days(rows), matched, offset, limit)


@dataclass(frozen=True)
class MapGeoJSON:
    """for_map's page as GeoJSON text (keys as in the API's HutFeatureCollection)."""

    text: str
    date_from: dt.date
    date_to: dt.date
    last_checked: dt.datetime | None  # the newest check on the page


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
    return MapGeoJSON(row[0], params["date_from"], params["date_to"], row[1])


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
    rows = conn.execute(
        query("read_hut_detail"),  # type: ignore[arg-type]
        {**_hut_params(hut), "date_from": start, "date_to": end},
    ).fetchall()
    huts = _huts_with_days(rows)
    if not huts:
        raise UnknownHutError(hut)
    return huts[0]


def find_hut(conn: psycopg.Connection[Any], hut: int | str) -> HutInfo:
    """A hut by id or slug, active or not; UnknownHutError when there is none."""
    row = conn.execute(query("read_hut"), _hut_params(hut)).fetchone()  # type: ignore[arg-type]
    if row is None:
        raise UnknownHutError(hut)
    return _hut(row)


def unknown_slugs(conn: psycopg.Connection[Any], slugs: Sequence[str]) -> list[str]:
    """Those of `slugs` that name no hut, in the given order."""
    rows = conn.execute(query("read_unknown_slugs"), {"slugs": list(slugs)}).fetchall()  # type: ignore[arg-type]
    return [r[0] for r in rows]


def get_huts_needing_update(conn: psycopg.Connection[Any], settings: Settings, now: dt.datetime) -> list[HutPriority]:
    """The huts due for a refresh at `now`, most urgent first, each once with its tier: the core's
    priority selection (storage.selection.due_huts, one row per hut), not a copy of it."""
    return due_huts(conn, settings.tiers, aware_now(now), settings.zone)


def _states(rows: Sequence[Sequence[Any]]) -> list[HutState]:
    return [HutState(*row) for row in rows]


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
    rows = conn.execute(
        query("read_trend"),  # type: ignore[arg-type]
        {"hut_id": info.hut_id, "availability_date": target_date, "now": end, "window_start": start},
    ).fetchall()
    return Trend(info, target_date, start, end, _states(rows))


def hut_date_history(conn: psycopg.Connection[Any], hut: int | str, availability_date: dt.date) -> HutDateHistory:
    """Every state of one hut-date, oldest first, each with its duration (the seed's history
    admin); UnknownHutError when there is no such hut."""
    info = find_hut(conn, hut)
    rows = conn.execute(
        query("read_history"),  # type: ignore[arg-type]
        {"hut_id": info.hut_id, "availability_date": availability_date},
    ).fetchall()
    return HutDateHistory(info, availability_date, _states(rows))


def current_availability(conn: psycopg.Connection[Any], filters: AvailabilityFilter) -> list[AvailabilityRow]:
    """The current state of hut-dates passing `filters`, by hut slug and date (the seed's
    availability admin): filters on statuses, day state, hut type, source, date range and a search in the
    hut's name or slug."""

    def any_of(values: tuple[str, ...]) -> list[str] | None:
        return list(values) if values else None

    rows = execute_unprepared(
        conn,
        "read_current",
        {
            "date_from": filters.date_from,
            "date_to": filters.date_to,
            "occupancy_statuses": any_of(filters.occupancy_statuses),
            "reservation_statuses": any_of(filters.reservation_statuses),
            "hut_types": any_of(filters.hut_types),
            "day_states": any_of(filters.day_states),
            "sources": any_of(filters.sources),
            "search": filters.search or None,
            "limit": filters.limit,
        },
    ).fetchall()
    return [AvailabilityRow(*row) for row in rows]
