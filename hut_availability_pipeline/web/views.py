"""What the pages show, computed from the read side's rows: day-state labels and colour classes,
a hut's calendar of months, a night's booking curve as SVG geometry, when a night became full,
and the table's CSV. Pure functions (no database, no HTTP), so each is tested on its own."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..domain.day_state import SOLD_OUT, DayState
from ..storage.read_models import AvailabilityRow, DayAvailability, HutState

STATE_LABELS = {
    DayState.bookable: "bookable",
    DayState.full: "full",
    DayState.not_bookable_online: "not bookable online",
    DayState.winter_room: "winter room",
    DayState.closed: "closed",
    DayState.unknown: "unknown",
}


def state_label(day_state: str | None) -> str:
    """The day state in words ("not bookable online"); "not checked" without one."""
    if day_state is None:
        return "not checked"
    try:
        return STATE_LABELS[DayState(day_state)]
    except ValueError:
        return day_state


def state_class(day_state: str | None, occupancy_steps: int | None = None) -> str:
    """CSS classes of a night: its state, and for a bookable night its occupancy in tenths."""
    if day_state is None:
        return "state-none"
    classes = f"state-{day_state}"
    if day_state == DayState.bookable and occupancy_steps is not None:
        classes += f" occ-{max(0, min(10, occupancy_steps // 10))}"  # steps of 10 percent
    return classes


def places(free: int | None, total: int | None) -> str:
    """ "12/40" (free of total), "–" when the source publishes no numbers."""
    if free is None and total is None:
        return "–"
    return f"{'?' if free is None else free}/{'?' if total is None else total}"


def local_time(at: dt.datetime | None, zone: ZoneInfo) -> str:
    """A time in the hut's zone, to the minute ("2026-07-10 14:00"); "–" for none."""
    return "–" if at is None else at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    """A duration in the largest two units ("3 d 4 h", "2 h 5 min", "40 s")."""
    if seconds is None:
        return "–"
    s = int(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


# --- a hut's calendar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A night of the calendar: its date and its current state (None: not checked, or past)."""

    date: dt.date
    day: DayAvailability | None
    past: bool


@dataclass(frozen=True)
class Month:
    title: str  # "July 2026"
    weeks: list[list[Cell | None]]  # Monday first; None pads the first and last week


def calendar_months(days: Sequence[DayAvailability], today: dt.date, last: dt.date) -> list[Month]:
    """The months from today's to `last`'s, one cell per night with the night's state (if any)."""
    by_date = {d.availability_date: d for d in days}
    months: list[Month] = []
    year, month = today.year, today.month
    while (year, month) <= (last.year, last.month):
        weeks: list[list[Cell | None]] = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([Cell(d, by_date.get(d), d < today) if d.month == month else None for d in week])
        months.append(Month(f"{calendar.month_name[month]} {year}", weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- a night's booking curve and states ------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """The booking curve as SVG geometry: the free places over time, a step line of points in a
    `width` × `height` box (y down), with labelled ticks; bands mark states without numbers."""

    width: int
    height: int
    path: str  # the SVG path's d attribute ("" when no state has numbers)
    points: list[tuple[float, float, str]]  # x, y and a label for each state with numbers
    bands: list[tuple[float, float, str]]  # x from, x to, CSS class: states without numbers
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]


PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 12, 12, 28


def booking_curve(
    states: Sequence[HutState], until: dt.datetime, zone: ZoneInfo, width: int = 720, height: int = 260
) -> Curve:
    """The free places of a night from its first state until `until` (now), a step per state."""
    if not states:
        return Curve(width, height, "", [], [], [], [])
    start = states[0].first_checked
    end = max(until, states[-1].last_checked or states[-1].first_checked, start + dt.timedelta(minutes=1))
    span = (end - start).total_seconds()
    top = max((s.total or 0 for s in states), default=0)
    top = max(top, max((s.free or 0 for s in states), default=0), 1)
    inner_w, inner_h = width - PAD_LEFT - PAD_RIGHT, height - PAD_TOP - PAD_BOTTOM

    def x(at: dt.datetime) -> float:
        return round(PAD_LEFT + inner_w * (at - start).total_seconds() / span, 1)

    def y(free: int) -> float:
        return round(PAD_TOP + inner_h * (1 - free / top), 1)

    parts: list[str] = []
    points: list[tuple[float, float, str]] = []
    bands: list[tuple[float, float, str]] = []
    for i, s in enumerate(states):
        x0 = x(s.first_checked)
        x1 = x(s.superseded_at if s.superseded_at is not None else end)
        if s.free is None:
            bands.append((x0, x1, state_class(s.day_state)))
            continue
        y0 = y(s.free)
        previous_has_numbers = i > 0 and states[i - 1].free is not None
        parts.append(f"{'L' if previous_has_numbers else 'M'}{x0},{y0} L{x1},{y0}")
        points.append((x0, y0, f"{local_time(s.first_checked, zone)}: {places(s.free, s.total)} free"))
    x_ticks = [(x(start + dt.timedelta(seconds=span * f)), local_time(start + dt.timedelta(seconds=span * f), zone))
               for f in (0, 0.5, 1)]  # fmt: skip
    y_ticks = [(y(v), str(v)) for v in sorted({0, top // 2, top})]
    return Curve(width, height, " ".join(parts), points, bands, x_ticks, y_ticks)


@dataclass(frozen=True)
class BecameFull:
    at: dt.datetime
    days_before: int  # the night's date minus the local date it became full


def became_full(states: Sequence[HutState], night: dt.date, zone: ZoneInfo) -> BecameFull | None:
    """When the night first sold out online (full, or not bookable online, after a bookable state
    or as the first state seen), and how many days before the night; None if it never did."""
    for s in states:
        if s.day_state in SOLD_OUT:
            return BecameFull(s.first_checked, (night - s.first_checked.astimezone(zone).date()).days)
    return None


# --- the table as CSV ------------------------------------------------------------------------------

CSV_COLUMNS = (
    "slug", "name", "availability_date", "day_state", "free", "total", "occupancy_percent", "occupancy_status",
    "reservation_status", "hut_type", "source", "source_hut_id", "link", "first_checked", "last_checked",
)  # fmt: skip


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a
    leading apostrophe, so that a hut's name is read as text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not isinstance(value, int | float):
        return "'" + text
    return text


def table_csv(rows: Iterable[AvailabilityRow]) -> str:
    """The table's rows as CSV with a header line (RFC 4180 quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([_cell(getattr(r, c)) for c in CSV_COLUMNS])
    return out.getvalue()
