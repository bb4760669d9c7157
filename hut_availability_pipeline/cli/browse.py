"""`hut-availability show`: a read-only browser of the stored availability (what the seed's admin
did). Thin: parse, query (storage.queries) on a read-only connection, print.

    hut-availability show [current] [--state bookable] [--status full] [--search tälli] [--from today --to weekend]
    hut-availability show history SLUG DATE

Rich tables by default; `--format csv|json` for scripts (same rows, machine-readable fields).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from rich.console import Console, JustifyMethod
from rich.table import Table

from ..argtypes import whole_number
from ..config import Settings
from ..domain.bookings import DayState, HutTypeEnum, OccupancyStatusEnum, ReservationStatusEnum
from ..domain.dates import date_range, parse_date
from ..storage.database import Database
from ..storage.queries import DETAIL_DAYS, current_availability, hut_date_history
from ..storage.read_models import AvailabilityFilter, AvailabilityRow, HutState, UnknownHutError
from ..storage.read_only import connect_read_only

EXIT_OK, EXIT_USAGE = 0, 2
DEFAULT_LIMIT = 500
FORMATS = ("table", "csv", "json")
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
    "limit": DEFAULT_LIMIT,
}


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default=argparse.SUPPRESS, help="output format (default: table)")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    keep = argparse.SUPPRESS  # a subcommand must not reset what was given before it
    parser.add_argument(
        "--status",
        dest="occupancy_statuses",
        action="append",
        default=keep,
        choices=[s.value for s in OccupancyStatusEnum],
        help="occupancy status (repeatable)",
    )
    parser.add_argument(
        "--state",
        dest="day_states",
        action="append",
        default=keep,
        choices=[s.value for s in DayState],
        help="day state: bookable, full, not_bookable_online, winter_room, closed, unknown (repeatable)",
    )
    parser.add_argument(
        "--reservation-status",
        dest="reservation_statuses",
        action="append",
        default=keep,
        choices=[s.value for s in ReservationStatusEnum],
        help="reservation status (repeatable)",
    )
    parser.add_argument(
        "--hut-type",
        dest="hut_types",
        action="append",
        default=keep,
        choices=[t.value for t in HutTypeEnum],
        help="hut type on the date (repeatable)",
    )
    parser.add_argument(
        "--source", dest="sources", action="append", default=keep, help="booking source, e.g. hrs (repeatable)"
    )
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
                records = _history_records(states, settings)
                _print(options["format"], HISTORY, title, records, empty="no states recorded")
                return EXIT_OK
            filters = _filters(options, settings, now)
            limit = filters.limit
            # one row more than shown tells whether the limit cut the result
            rows = current_availability(conn, filters if limit is None else replace(filters, limit=limit + 1))
    except (ValueError, UnknownHutError) as exc:
        print(f"hut-availability show: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        print(f"showing the first {limit} rows: narrow the filters or raise --limit", file=sys.stderr)
    title = f"Availability {filters.date_from.isoformat()} .. {filters.date_to.isoformat()}: {len(rows)} hut-dates"
    _print(options["format"], AVAILABILITY, title, _availability_records(rows, settings), empty="no hut-dates match")
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
        search=options["search"],
        limit=options["limit"] or None,
    )


# --- records: one shape for every format --------------------------------------------------------


def places(free: int | None, total: int | None) -> str:
    """Places as free/total; an unknown number is "?"."""
    return f"{'?' if free is None else free}/{'?' if total is None else total}"


def percent(value: float | None) -> str:
    """An occupancy as "70 %", or "–" when it is unknown."""
    return "–" if value is None else f"{value:.0f} %"


def duration(seconds: float | None) -> str:
    """A duration as its two largest units: "3 d 4 h", "2 h 5 min", "40 s"."""
    if seconds is None:
        return "–"
    left = round(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts[:2])


def _local(value: dt.datetime | None, settings: Settings) -> str | None:
    """ISO 8601 in the configured zone (what the user's "today" refers to)."""
    return None if value is None else value.astimezone(settings.zone).isoformat(timespec="seconds")


def _short(iso: str | None) -> str:
    return "" if iso is None else iso[:16].replace("T", " ")


@dataclass(frozen=True)
class _Column:
    """A table column: its header and how to show a record's cell."""

    title: str
    cell: Callable[[dict[str, Any]], str]
    justify: JustifyMethod = "left"


@dataclass(frozen=True)
class _View:
    """What a view prints: machine-readable fields (csv/json) and table columns."""

    fields: tuple[str, ...]
    columns: tuple[_Column, ...]


AVAILABILITY = _View(
    fields=("slug", "name", "availability_date", "day_state", "free", "total", "places", "occupancy_percent",
            "occupancy_status", "reservation_status", "hut_type", "source", "source_hut_id", "link", "first_checked",
            "last_checked"),
    columns=(
        _Column("Hut", lambda r: r["slug"]),
        _Column("Date", lambda r: r["availability_date"]),
        _Column("State", lambda r: r["day_state"]),
        _Column("Places", lambda r: r["places"], "right"),
        _Column("Occupancy", lambda r: percent(r["occupancy_percent"]), "right"),
        _Column("Status", lambda r: r["occupancy_status"]),
        _Column("Reservation", lambda r: r["reservation_status"]),
        _Column("Type", lambda r: r["hut_type"]),
        _Column("Source", lambda r: r["source"] or ""),
        _Column("Last checked", lambda r: _short(r["last_checked"])),
    ),
)  # fmt: skip

HISTORY = _View(
    fields=("state_id", "day_state", "free", "total", "places", "occupancy_percent", "hut_type", "reservation_status",
            "first_checked", "last_checked", "duration_seconds", "confirmed_seconds", "superseded_at",
            "is_current"),
    columns=(
        _Column("First checked", lambda r: _short(r["first_checked"])),
        _Column("Last checked", lambda r: _short(r["last_checked"])),
        _Column("Duration", lambda r: duration(r["duration_seconds"]), "right"),
        _Column("State", lambda r: r["day_state"]),
        _Column("Places", lambda r: r["places"], "right"),
        _Column("Occupancy", lambda r: percent(r["occupancy_percent"]), "right"),
        _Column("Type", lambda r: r["hut_type"]),
        _Column("Reservation", lambda r: r["reservation_status"]),
        _Column("Current", lambda r: "yes" if r["is_current"] else ""),
    ),
)  # fmt: skip


def _availability_records(rows: Sequence[AvailabilityRow], settings: Settings) -> list[dict[str, Any]]:
    return [
        {
            **asdict(r),
            "availability_date": r.availability_date.isoformat(),
            "places": places(r.free, r.total),
            "first_checked": _local(r.first_checked, settings),
            "last_checked": _local(r.last_checked, settings),
        }
        for r in rows
    ]


def lasted_seconds(state: HutState) -> float | None:
    """How long a state was in force: from its first check until the next state's first check; the
    current one until its last check (so far).

    Not the view's `duration_seconds` (first to last check of the state itself): a state seen once
    and replaced 11 minutes later has a last check equal to its first, and was shown as "0 s"."""
    if state.superseded_at is None:
        return state.duration_seconds
    return (state.superseded_at - state.first_checked).total_seconds()


def _history_records(states: Sequence[HutState], settings: Settings) -> list[dict[str, Any]]:
    return [
        {
            **asdict(s),
            "duration_seconds": lasted_seconds(s),
            "confirmed_seconds": s.duration_seconds,
            "places": places(s.free, s.total),
            "first_checked": _local(s.first_checked, settings),
            "last_checked": _local(s.last_checked, settings),
            "superseded_at": _local(s.superseded_at, settings),
            "is_current": s.is_current,
        }
        for s in states
    ]


# --- output --------------------------------------------------------------------------------------


def _print(fmt: str, view: _View, title: str, records: list[dict[str, Any]], *, empty: str) -> None:
    machine = [{k: r[k] for k in view.fields} for r in records]
    if fmt == "json":
        json.dump(machine, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=view.fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(machine)
    else:
        console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
        if not records:
            console.print(f"{title}: {empty}")
            return
        table = Table(title=title, title_justify="left")
        for column in view.columns:
            table.add_column(column.title, justify=column.justify)
        for r in records:
            style = _DAY_STATE_STYLES.get(str(r.get("day_state"))) or _STATUS_STYLES.get(str(r.get("occupancy_status")))
            table.add_row(*(column.cell(r) for column in view.columns), style=style)
        console.print(table)
