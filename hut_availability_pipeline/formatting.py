"""How the read side's values are written for people and for spreadsheets, the same in the CLI
(`show`, `huts list`), the web pages and their CSV: day states in words, places, occupancy,
durations, times, and the CSV writer.

The time-zone rule: every time shown or exported is in the configured zone
(`HUT_AVAILABILITY_TIMEZONE`, default Europe/Zurich), the zone a user's "today" refers to, and
says which: for people "2026-07-10 14:00 CEST" (`local_time`), in CSV and JSON ISO 8601 with the
zone's offset, "2026-07-10T14:00:00+02:00" (`iso_local`).

Pure functions of plain values (no database, no HTTP); this module imports nothing of ours.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

# the day states (domain.day_state.DayState's values) in words; plain strings, so that commands such
# as `huts list` need not import the domain's schemas (hut-services)
STATE_LABELS = {
    "bookable": "bookable",
    "full": "full",
    "not_bookable_online": "not bookable online",
    "winter_room": "winter room",
    "closed": "closed",
    "unknown": "unknown",
}

NONE = "–"  # what a value that is not known shows as

# The columns of the availability CSV, the same in `show --format csv|json` and the web table's
# download (/browse.csv): a hut-date's current state with its hut and source.
AVAILABILITY_COLUMNS = (
    "slug", "name", "availability_date", "day_state", "free", "total", "occupancy_percent", "occupancy_status",
    "reservation_status", "hut_type", "source", "source_hut_id", "link", "first_checked", "last_checked",
)  # fmt: skip

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet runs as a formula


def state_label(day_state: str | None) -> str:
    """The day state in words ("not bookable online"); "not checked" without one."""
    if day_state is None:
        return "not checked"
    return STATE_LABELS.get(day_state, day_state)


def places(free: int | None, total: int | None) -> str:
    """ "12/40" (free of total), "?" for the one not known, "–" when the source publishes neither."""
    if free is None and total is None:
        return NONE
    return f"{'?' if free is None else free}/{'?' if total is None else total}"


def percent(value: float | None) -> str:
    """An occupancy as "70 %", or "–" when it is unknown."""
    return NONE if value is None else f"{value:.0f} %"


_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """A duration in its largest unit and the next one when that is not zero, rounded to the
    second: "3 d 4 h", "3 d", "2 h 5 min", "10 min", "40 s"; "–" for none."""
    if seconds is None:
        return NONE
    left = max(0, round(seconds))
    for i, (unit, size) in enumerate(_UNITS):
        if left >= size or unit == "s":
            text = f"{left // size} {unit}"
            if i + 1 < len(_UNITS):
                next_unit, next_size = _UNITS[i + 1]
                if rest := left % size // next_size:
                    text += f" {rest} {next_unit}"
            return text
    raise AssertionError("unreachable: the last unit always matches")


def local_time(at: dt.datetime | None, zone: ZoneInfo, *, label: bool = True) -> str:
    """A time for people, to the minute, in `zone` with the zone's abbreviation:
    "2026-07-10 14:00 CEST"; "–" for none. `label=False` leaves the abbreviation out, for a table
    whose title names the zone."""
    if at is None:
        return NONE
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z" if label else "%Y-%m-%d %H:%M")


def iso_local(at: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """A time for machines: ISO 8601 to the second in `zone`, with its offset; None for none."""
    return None if at is None else at.astimezone(zone).isoformat(timespec="seconds")


def machine_value(value: object, zone: ZoneInfo) -> object:
    """A value as CSV and JSON carry it: times by `iso_local`, dates in ISO form, the rest as is."""
    if isinstance(value, dt.datetime):
        return iso_local(value, zone)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_cell(value: object, zone: ZoneInfo) -> str:
    """A CSV cell: empty for none, times by `iso_local`; text that a spreadsheet would run as a
    formula (starting with =, +, -, @, tab or CR) gets a leading apostrophe, so that a hut's name
    is read as text. Numbers stay numbers (a negative one is no formula)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(machine_value(value, zone))
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(
    columns: Sequence[str], records: Iterable[Mapping[str, Any]], zone: ZoneInfo, *, lineterminator: str = "\r\n"
) -> str:
    """`records` (each with at least `columns`) as CSV with a header line, RFC 4180 quoting, every
    cell by `csv_cell`. The web download ends lines with CRLF (RFC 4180); `show` with LF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(columns)
    for record in records:
        writer.writerow([csv_cell(record[c], zone) for c in columns])
    return out.getvalue()
