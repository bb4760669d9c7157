"""hut-reservation.org answers to nights (pure: no HTTP, no I/O).

`parse_availability` maps one answer of `GET /api/v1/reservation/getHutAvailability?hutId=N` to
hut-services bookings. Mapping rules of one day (anything else makes the day a `RejectedDay`):

- availability date: the date part of `date` when it is written as midnight
  (`2026-07-19T00:00:00Z`, a calendar date, never shifted by a time zone). Real answers also carry
  instants with a time of day and up to nine fractional digits (`2026-10-31T11:59:15.919274861Z`,
  on the last open day before a closure and on far-future days): then the day is `dateFormatted`
  (DD.MM.YYYY), which always gives the calendar day, and the date part only when that is missing.
  Days before `start` (and, when `days` is given, from `start + days` on) are dropped silently;
  otherwise every day the site serves is kept (horizons differ per hut, from 15 to 731 days).
- `hutStatus` must be a string; with the published places it gives the day state
  (`site.service_of`, then `domain.mapping.day_state_for`): SERVICED → bookable / full / not bookable online,
  UNSERVICED/NOT_SERVICED → winter room, CLOSED → closed, any other string → unknown (kept, logged
  as a warning). The hut type follows the status (open type, closed type, `closed`, `unknown`).
- `freeBeds`/`totalSleepingPlaces` must be JSON integers in [0, MAX_PLACES] or null; strings
  such as "5", floats and booleans are rejected, never coerced. null or missing means "not
  published" and is stored as NULL, never as 0: a SERVICED day with `freeBeds` null (and
  `totalSleepingPlaces` 0, `freeBedsPerCategory` {}) is *not bookable online*, which real answers
  show on busy nights and before a season opens for booking.
- A night without places offered (closed, not bookable online) is stored as free NULL, total 0,
  as real answers give it, whatever other counts a day may carry: a free number there would make
  it look bookable, a total would make hut-services read the free count as "not published".
- free > total is kept: hut-services' `PlacesSchema` raises total to free.
- Far-future days that a warden has not configured yet come with every bed free (72/72,
  AVAILABLE): they are stored as served; they are what the site offers.
- duplicate dates: the first valid entry of a date wins; later valid ones are rejected.

Whole-answer problems raise `ProviderAnswerError`: not a JSON array, an empty array, a required
field absent from every day (format drift; `availableBeds`/`bedCategoriesData` are the field names
of another endpoint, `checkAvailability`, so an answer with them is the wrong endpoint or a
changed one), or no usable day at all while some were rejected.

"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import logging
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from hut_services.core.schema import TotalFallback

from ...domain.bookings import DayState, HutRef, HutTypeEnum, Night, PlacesSchema, RejectedDay, occupancy_of
from ...domain.mapping import Service, day_state_for, hut_type_for, stored_places
from ..answers import ProviderAnswerError
from ..answers import describe as _describe
from .site import CLOSED, KNOWN_HUT_STATUSES, service_of

__all__ = ["MAX_PLACES", "OLD_FIELD_NAMES", "parse_availability"]

logger = logging.getLogger(__name__)

MAX_PLACES = 100_000
"""Sanity bound on free/total places: no hut has more; larger numbers are garbage (and would
overflow an integer column, losing the whole batch)."""

OLD_FIELD_NAMES = ("availableBeds", "bedCategoriesData")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIDNIGHT = re.compile(r"(?:[T ]00:00(?::00(?:\.0*)?)?)?(?:Z|[+-]00:?00)?")
"""What may follow the date part of a `date` written as a calendar day (midnight UTC)."""
_SWISS_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")


def _day_date(entry: Mapping[str, Any]) -> tuple[dt.date | None, str | None]:
    """The availability date of one entry and its text for reports: the date part of `date` when
    it is written as midnight, else `dateFormatted` (the calendar day of an instant with a time of
    day), else the date part of `date`."""
    raw = entry.get("date")
    from_date: dt.date | None = None
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw[:10]):
        try:
            from_date = dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
        else:
            if _MIDNIGHT.fullmatch(raw[10:]):
                return from_date, raw[:10]
    formatted = entry.get("dateFormatted")
    if isinstance(formatted, str) and (m := _SWISS_DATE.fullmatch(formatted.strip())):
        try:
            day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return day, day.isoformat()
        except ValueError:
            pass
    if from_date is not None:
        return from_date, from_date.isoformat()
    shown = raw if isinstance(raw, str) else formatted if isinstance(formatted, str) else None
    return None, shown[:40] if shown is not None else None


def _places_value(entry: Mapping[str, Any], key: str) -> tuple[int | None, str | None]:
    """(value, None) for a valid count or null/missing (value None); (None, reason) for a bad one."""
    value = entry.get(key)
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"{key} is not an integer: {_describe(value)}"
    if value < 0:
        return None, f"{key} is negative: {value}"
    if value > MAX_PLACES:
        return None, f"{key} is implausibly large: {value} (more than {MAX_PLACES})"
    return value, None


def _day_values(entry: Mapping[str, Any]) -> tuple[str, int | None, int | None] | str:
    """(hutStatus, free, total) of a usable day, or the reason why the day is not usable."""
    status = entry.get("hutStatus")
    if status is None:
        return f"hutStatus is {'null' if 'hutStatus' in entry else 'missing'}"
    if not isinstance(status, str):
        return f"hutStatus is not a string: {_describe(status)}"
    total, problem = _places_value(entry, "totalSleepingPlaces")
    if problem is not None:
        return problem
    if status == CLOSED:
        return status, None, 0  # closed: no places offered, whatever the counts say
    if "freeBeds" not in entry:
        return "freeBeds is missing"  # null is "not published"; a day without the field is another shape
    free, problem = _places_value(entry, "freeBeds")
    if problem is not None:
        return problem
    return status, free, total


def _check_whole_answer(payload: object, hut: HutRef) -> list[object]:
    """Raise `ProviderAnswerError` when the answer as a whole is unusable; return it as a list."""
    hid = hut.source_hut_id
    if not isinstance(payload, list):
        raise ProviderAnswerError(
            hid,
            f"hut {hid}: getHutAvailability answered a {type(payload).__name__}, not a JSON array of days"
            " (unknown hut or changed format)",
        )
    if not payload:
        raise ProviderAnswerError(hid, f"hut {hid}: getHutAvailability answered an empty list (no days)")
    entries = [e for e in payload if isinstance(e, dict)]
    if not entries:
        raise ProviderAnswerError(hid, f"hut {hid}: none of the {len(payload)} entries of the answer is a JSON object")
    seen: set[str] = set().union(*(e.keys() for e in entries))
    if "freeBeds" not in seen:
        old = [name for name in OLD_FIELD_NAMES if name in seen]
        if old:
            raise ProviderAnswerError(
                hid,
                f"hut {hid}: no day has 'freeBeds' but the answer uses the old field names {old}: the"
                " provider's format changed; update providers/hut_reservation/parse.py",
            )
    missing = [key for key in ("freeBeds", "hutStatus") if key not in seen]
    if "date" not in seen and "dateFormatted" not in seen:
        missing.append("date")
    if missing:
        raise ProviderAnswerError(
            hid,
            f"hut {hid}: no day of the answer has the field(s) {missing} (fields seen: {sorted(seen)[:12]}):"
            " the provider's format changed; update providers/hut_reservation/parse.py",
        )
    return payload


_MISSING = object()
"""A day without `freeBeds` (another shape than `freeBeds: null`, which is "not published")."""


class _Mapped(NamedTuple):
    """A night's fields but its date, as `Night` takes them."""

    day_state: DayState
    hut_type: HutTypeEnum
    unattended: bool
    places: PlacesSchema
    occupancy: Any


@functools.lru_cache(maxsize=4096)
def _midnight_day(raw: str) -> tuple[dt.date, str] | None:
    """The day of a `date` written as a calendar day (midnight), with its text; None for any other
    form (`_day_date` then decides). Cached: the dates of one answer recur in every hut's answer."""
    if not _ISO_DATE.fullmatch(raw[:10]) or not _MIDNIGHT.fullmatch(raw[10:]):
        return None
    try:
        return dt.date.fromisoformat(raw[:10]), raw[:10]
    except ValueError:
        return None


def parse_availability(
    payload: object,
    hut: HutRef,
    start: dt.date,
    days: int | None,
    *,
    total_fallback: TotalFallback | None = None,
) -> tuple[list[Night], list[RejectedDay]]:
    """Map one getHutAvailability answer to nights from `start` on (for `days` days, or every day
    the site serves when `days` is None), plus the rejected days.

    Rules: see the module docstring. Bad days never raise; whole-answer problems raise
    `ProviderAnswerError`. `total_fallback` is only passed through to `PlacesSchema` for consumers.
    """
    if days is not None and days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    entries = _check_whole_answer(payload, hut)
    end = start + dt.timedelta(days=days) if days is not None else dt.date.max
    bookings: dict[dt.date, Night] = {}
    first_index: dict[dt.date, int] = {}
    # What a day's (hutStatus, freeBeds, totalSleepingPlaces) maps to, worked out once per distinct
    # triple of the answer (a year of days has a few dozen): the night's fields but its date, or the
    # reason the day is rejected. hut-services' places are validated once per distinct (free, total).
    mapped_of: dict[tuple[object, object, object], _Mapped | str] = {}
    places_of: dict[tuple[int | None, int | None], tuple[PlacesSchema, Any]] = {}
    open_type, closed_type = HutTypeEnum(hut.hut_type_open), HutTypeEnum(hut.hut_type_closed)
    rejected: list[RejectedDay] = []
    unknown_statuses: collections.Counter[str] = collections.Counter()

    def mapped(entry: Mapping[str, Any]) -> _Mapped | str:
        values = _day_values(entry)
        if isinstance(values, str):
            return values
        status, free, total = values
        if status not in KNOWN_HUT_STATUSES:
            unknown_statuses[status] += 1
        service = service_of(status)
        state = day_state_for(service, free, total)
        free, total = stored_places(state, free, total)
        known = places_of.get((free, total))
        if known is None:
            places = PlacesSchema(free=free, total=total, free_tolerance=0, total_fallback=total_fallback)
            known = places_of[(free, total)] = (places, occupancy_of(places))
        hut_type = hut_type_for(service, open_type, closed_type)
        return _Mapped(state, hut_type, service is not Service.serviced, known[0], known[1])

    for index, entry in enumerate(entries):
        if type(entry) is not dict:
            rejected.append(RejectedDay(index, None, f"entry is not an object: {_describe(entry)}"))
            continue
        raw = entry.get("date")
        midnight = _midnight_day(raw) if type(raw) is str else None
        day, day_text = midnight if midnight is not None else _day_date(entry)
        if day is None:
            reason = "no valid 'date' (YYYY-MM-DD...) or 'dateFormatted' (DD.MM.YYYY)"
            rejected.append(RejectedDay(index, day_text, reason))
            continue
        if not start <= day < end:
            continue
        # the raw values as the key only where equal values mean equal days: exact types, so that
        # True and 1.0 (rejected) never share an entry with 1, and a missing freeBeds is not null
        key = status, free, total = (
            entry.get("hutStatus"),
            entry.get("freeBeds", _MISSING),
            entry.get("totalSleepingPlaces"),
        )
        if (
            type(status) is str
            and (free is None or free is _MISSING or type(free) is int)
            and (total is None or type(total) is int)
        ):
            night = mapped_of.get(key)
            if night is None:
                night = mapped_of[key] = mapped(entry)
            elif type(night) is _Mapped and status not in KNOWN_HUT_STATUSES:
                unknown_statuses[status] += 1
        else:
            night = mapped(entry)
        if type(night) is str:
            rejected.append(RejectedDay(index, day_text, night))
            continue
        if day in bookings:
            rejected.append(RejectedDay(index, day_text, f"duplicate date: entry #{first_index[day]} already gave it"))
            continue
        assert type(night) is _Mapped
        bookings[day] = Night(day, *night)
        first_index[day] = index

    if unknown_statuses:
        logger.warning(
            "hut %s: unknown hutStatus values %s kept with hut type %r",
            hut.source_hut_id,
            dict(unknown_statuses),
            HutTypeEnum.unknown.value,
        )
    if not bookings and rejected:
        first = rejected[0]
        raise ProviderAnswerError(
            hut.source_hut_id,
            f"hut {hut.source_hut_id}: no usable day, all {len(rejected)} day(s) in question were rejected;"
            f" first: entry #{first.index} ({first.date}): {first.reason}",
        )
    return sorted(bookings.values(), key=lambda n: n.date), rejected
