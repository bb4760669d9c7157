"""`hut-availability show`: a read-only browser of the stored availability (what the seed's admin
did). Thin: parse, query (storage.queries) on a read-only connection, print.

    hut-availability show [current] [--state bookable] [--status full] [--search tälli] [--from today --to weekend]
    hut-availability show history SLUG DATE

Rich tables by default, at most 100 columns wide when not on a terminal; `--format csv|json` for
scripts: the columns of the web table's CSV (`formatting.AVAILABILITY_COLUMNS`). The rows come from
the one availability query of the read side (`storage.queries.current_availability`) with its one
filter (`AvailabilityFilter`), as for the API and the web table; every time is in the configured
zone and says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console, JustifyMethod
from rich.table import Table

from ..argtypes import whole_number
from ..config import Settings
from ..domain.bookings import DayState, HutTypeEnum, OccupancyStatusEnum, ReservationStatusEnum
from ..domain.dates import date_range, parse_date
from ..formatting import AVAILABILITY_COLUMNS, csv_text, duration, local_time, machine_value, percent, places
from ..formatting import state_label as label
from ..storage.database import Database
from ..storage.queries import DETAIL_DAYS, current_availability, hut_date_history
from ..storage.read_models import SORT_KEYS, AvailabilityFilter, HutState, UnknownHutError
from ..storage.read_only import connect_read_only
from .common import EXIT_OK, EXIT_USAGE

DEFAULT_LIMIT = 500
FORMATS = ("table", "csv", "json")
WIDTH = 100  # the table's width when stdout is not a terminal (a terminal gives its own)
_STATUS_STYLES = {"full": "bold red", "high": "red", "medium": "yellow", "low": "green", "empty": "green"}
# a night that cannot be booked online is styled by its day state, never by a leftover occupancy
_DAY_STATE_STYLES = {"full": "bold red", "not_bookable_online": "bold red", "winter_room": "dim", "closed": "dim"}
_DEFAULTS: dict[str, Any] = {
    "show_view": "current",
    "format": "table",
    "occupancy_statuses": None,
    "reservation_statuses": None,
    "hut_types": None,
    "day_states": None,
    "sources": None,
    "date_from": None,
    "date_to": None,
    "search": None,
    "min_free": None,
    "sort": "name",
    "descending": False,
    "limit": DEFAULT_LIMIT,
}


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default=argparse.SUPPRESS, help="output format (default: table)")


# the repeatable filters: option, destination, choices (None: any text), help
_REPEATABLE: tuple[tuple[str, str, list[str] | None, str], ...] = (
    ("--status", "occupancy_statuses", [s.value for s in OccupancyStatusEnum], "occupancy status (repeatable)"),
    ("--state", "day_states", [s.value for s in DayState],
     "day state: bookable, full, not_bookable_online, winter_room, closed, unknown (repeatable)"),
    ("--reservation-status", "reservation_statuses", [s.value for s in ReservationStatusEnum],
     "reservation status (repeatable)"),
    ("--hut-type", "hut_types", [t.value for t in HutTypeEnum], "hut type on the date (repeatable)"),
    ("--source", "sources", None, "booking source, e.g. hrs (repeatable)"),
)  # fmt: skip


def _add_filters(parser: argparse.ArgumentParser) -> None:
    keep = argparse.SUPPRESS  # a subcommand must not reset what was given before it
    for option, dest, choices, help_text in _REPEATABLE:
        parser.add_argument(option, dest=dest, action="append", default=keep, choices=choices, help=help_text)
    parser.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        default=keep,
        help="first date: YYYY-MM-DD, today, tomorrow or weekend (default: today)",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        metavar="DATE",
        default=keep,
        help=f"last date, inclusive (default: {DETAIL_DAYS} days from --from)",
    )
    parser.add_argument(
        "-s", "--search", metavar="TEXT", default=keep, help="only huts whose name or slug contains TEXT (any case)"
    )
    parser.add_argument(
        "--party",
        dest="min_free",
        metavar="N",
        type=whole_number(1),
        default=keep,
        help="only nights with at least N free places",
    )
    parser.add_argument(
        "--sort", choices=SORT_KEYS, default=keep, help="order of the rows, then by hut and date (default: name)"
    )
    parser.add_argument("--desc", dest="descending", action="store_true", default=keep, help="sort descending")
    parser.add_argument(
        "--limit",
        type=whole_number(0),
        default=keep,
        help=f"at most this many rows, 0: all (default: {DEFAULT_LIMIT})",
    )
    _add_format(parser)


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `show`: the current-state view (default) with its filters, and `history`."""
    parser.description = "Browse stored availability (read-only): the current state, or one hut-date's history."
    _add_filters(parser)
    views = parser.add_subparsers(dest="show_view", metavar="VIEW")
    current = views.add_parser("current", help="current availability with filters (the default view)")
    _add_filters(current)
    history = views.add_parser("history", help="every state of one hut-date with how long it lasted")
    history.add_argument("hut", metavar="SLUG", help="the hut's slug")
    history.add_argument("date", metavar="DATE", help="YYYY-MM-DD, today, tomorrow or weekend")
    _add_format(history)
    parser.set_defaults(**_DEFAULTS)


def run_show(args: argparse.Namespace, db: Database, settings: Settings) -> int:
    """Run `show` on a read-only connection; 2 with a message for a bad date or an unknown hut."""
    options = {**_DEFAULTS, **vars(args)}
    now = dt.datetime.now(dt.UTC)
    try:
        with connect_read_only(db) as conn:
            if options["show_view"] == "history":
                day = parse_date(options["date"], settings.zone, now)
                history = hut_date_history(conn, options["hut"], day)
                hut, states = history.hut, history.states
                title = f"History of {hut.name} ({hut.slug}) on {day.isoformat()}: {len(states)} states"
                records = _history_records(states)
                _print(options["format"], HISTORY, title, records, settings, empty="no states recorded")
                return EXIT_OK
            filters = _filters(options, settings, now)
            page = current_availability(conn, filters)
    except (ValueError, UnknownHutError) as exc:
        print(f"hut-availability show: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    rows = page.rows
    if len(rows) < page.matched:
        print(
            f"showing the first {len(rows)} of {page.matched} rows: narrow the filters or raise --limit (0: all)",
            file=sys.stderr,
        )
    title = f"Availability {filters.date_from.isoformat()} .. {filters.date_to.isoformat()}: {len(rows)} hut-dates"
    records = [asdict(r) for r in rows]
    _print(options["format"], AVAILABILITY, title, records, settings, empty="no hut-dates match")
    return EXIT_OK


def _filters(options: dict[str, Any], settings: Settings, now: dt.datetime) -> AvailabilityFilter:
    def day(key: str) -> dt.date | None:
        return parse_date(options[key], settings.zone, now) if options[key] is not None else None

    start, end = date_range(day("date_from"), day("date_to"), DETAIL_DAYS, zone=settings.zone, now=now)
    return AvailabilityFilter(
        date_from=start,
        date_to=end,
        occupancy_statuses=tuple(options["occupancy_statuses"] or ()),
        reservation_statuses=tuple(options["reservation_statuses"] or ()),
        hut_types=tuple(options["hut_types"] or ()),
        day_states=tuple(options["day_states"] or ()),
        sources=tuple(options["sources"] or ()),
        min_free=options["min_free"],
        search=options["search"],
        sort=options["sort"],
        descending=options["descending"],
        limit=options["limit"] or None,
    )


# --- views: one shape for every format ----------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """A table column: its header and how to show a record's cell (times in `zone`)."""

    title: str
    cell: Callable[[dict[str, Any], ZoneInfo], str]
    justify: JustifyMethod = "right"


@dataclass(frozen=True)
class _View:
    """What a view prints: machine-readable fields (csv/json) and table columns."""

    fields: tuple[str, ...]
    columns: tuple[_Column, ...]


AVAILABILITY = _View(
    fields=AVAILABILITY_COLUMNS,
    columns=(
        _Column("Hut", lambda r, z: r["slug"], "left"),
        _Column("Night", lambda r, z: r["availability_date"].isoformat()),
        _Column("State", lambda r, z: label(r["day_state"]), "left"),
        _Column("Free", lambda r, z: places(r["free"], r["total"])),
        _Column("Occupancy", lambda r, z: percent(r["occupancy_percent"])),
        _Column("Last checked", lambda r, z: local_time(r["last_checked"], z, label=False)),
    ),
)

HISTORY = _View(
    fields=("state_id", "day_state", "free", "total", "occupancy_percent", "hut_type", "reservation_status",
            "first_checked", "last_checked", "duration_seconds", "confirmed_seconds", "superseded_at",
            "is_current"),
    columns=(
        _Column("State", lambda r, z: label(r["day_state"]), "left"),
        _Column("Free", lambda r, z: places(r["free"], r["total"])),
        _Column("Occupancy", lambda r, z: percent(r["occupancy_percent"])),
        _Column("First checked", lambda r, z: local_time(r["first_checked"], z, label=False)),
        _Column("Last checked", lambda r, z: local_time(r["last_checked"], z, label=False)),
        _Column("In force", lambda r, z: duration(r["duration_seconds"])),
        _Column("Replaced", lambda r, z: local_time(r["superseded_at"], z, label=False) if r["superseded_at"]
                else "current"),
    ),
)  # fmt: skip


def _history_records(states: Sequence[HutState]) -> list[dict[str, Any]]:
    """A state's columns; `duration_seconds` is how long it was in force, `confirmed_seconds` its
    first to its last check."""
    return [
        {
            **asdict(s),
            "duration_seconds": s.in_force_seconds,
            "confirmed_seconds": s.duration_seconds,
            "is_current": s.is_current,
        }
        for s in states
    ]


# --- output --------------------------------------------------------------------------------------


def _print(fmt: str, view: _View, title: str, records: list[dict[str, Any]], settings: Settings, *, empty: str) -> None:
    zone = settings.zone
    if fmt == "json":
        machine = [{k: machine_value(r[k], zone) for k in view.fields} for r in records]
        json.dump(machine, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        sys.stdout.write(csv_text(view.fields, records, zone, lineterminator="\n"))
    else:
        console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else WIDTH)
        if not records:
            console.print(f"{title}: {empty}")
            return
        table = Table(title=f"{title} (times in {settings.timezone})", title_justify="left")
        for column in view.columns:
            table.add_column(column.title, justify=column.justify, overflow="fold")
        for r in records:
            style = _DAY_STATE_STYLES.get(str(r.get("day_state"))) or _STATUS_STYLES.get(str(r.get("occupancy_status")))
            table.add_row(*(column.cell(r, zone) for column in view.columns), style=style)
        console.print(table)
