"""Hütten-Holiday answers to nights and cabins (pure: no HTTP, no I/O).

`parse_month` maps one answer of `POST /cabins/get-month-availability` (one cabin, one calendar
month) to nights. Mapping rules of one day (anything else makes the day a `RejectedDay`):

- availability date: the date part of `date`, written as midnight UTC
  (`2026-06-05T00:00:00.000000Z`, a calendar date); a day of another month than the one asked, or
  a date with a time of day, is rejected. Days before `start` (and, when `end` is given, from
  `end` on) are dropped silently.
- `totalPlaces` must be a JSON integer in [0, MAX_PLACES]; `rooms` a list of objects whose
  `places` are JSON integers (strings, floats, booleans are rejected, never coerced).
- free places = the sum of `rooms[].places`. Overbooked days sum to a negative number: stored as
  0 free (full), never negative.
- `totalPlaces == 0` means closed (outside the season, a rest day), even when rooms still show
  places: state closed, free NULL, total 0, as for hut-reservation.org's CLOSED.
- otherwise the day is serviced: free > 0 → bookable, 0 → full; the hut type is the hut's open type.
- duplicate dates: the first valid entry wins; later valid ones are rejected.

`[]` is a normal answer: the month is beyond the cabin's booking horizon (no nights). Whole-answer
problems raise `ProviderAnswerError`: not a JSON array, no entry an object, a required field
absent from every day (format drift), or no usable day at all while some were rejected.

`parse_cabins` maps one page of `GET /get-cabins?page=N` to catalog entries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...domain.bookings import HutRef, HutTypeEnum, Night, PlacesSchema, RejectedDay, occupancy_of
from ...domain.mapping import Service, day_state_for, hut_type_for, stored_places
from ..answers import ProviderAnswerError, describe

__all__ = ["MAX_PLACES", "REQUIRED_FIELDS", "Cabin", "CabinPage", "Month", "parse_cabins", "parse_month"]

MAX_PLACES = 100_000
"""Sanity bound on places: no hut has more; larger numbers are garbage."""
REQUIRED_FIELDS = ("date", "totalPlaces", "rooms")
_MIDNIGHT_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0*)?)?)?(?:Z|[+-]00:?00)?")


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month, as the site's `selectedMonth` names it."""

    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.number == 12 else Month(self.year, self.number + 1)

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.number, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"


def _int_field(entry: Mapping[str, Any], key: str, where: str = "") -> tuple[int | None, str | None]:
    value = entry.get(key)
    if key not in entry:
        return None, f"{where}{key} is missing"
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"{where}{key} is not an integer: {describe(value)}"
    if abs(value) > MAX_PLACES:
        return None, f"{where}{key} is implausibly large: {value} (more than {MAX_PLACES})"
    return value, None


def _day_values(entry: Mapping[str, Any]) -> tuple[int, int] | str:
    """(free, total) of a usable day (free may be negative: overbooked), or why it is not usable."""
    total, problem = _int_field(entry, "totalPlaces")
    if problem is not None or total is None:
        return problem or "totalPlaces is missing"
    if total < 0:
        return f"totalPlaces is negative: {total}"
    rooms = entry.get("rooms")
    if not isinstance(rooms, list):
        return f"rooms is not a list: {describe(rooms)}" if "rooms" in entry else "rooms is missing"
    free = 0
    for number, room in enumerate(rooms):
        if not isinstance(room, dict):
            return f"rooms[{number}] is not an object: {describe(room)}"
        places, problem = _int_field(room, "places", f"rooms[{number}].")
        if problem is not None or places is None:
            return problem or f"rooms[{number}].places is missing"
        free += places
    return free, total


def _check_whole_answer(payload: object, hut: HutRef, month: Month) -> list[object]:
    hid = hut.source_hut_id
    what = f"cabin {hid} ({hut.slug}), month {month}"
    if not isinstance(payload, list):
        raise ProviderAnswerError(
            hid,
            f"{what}: get-month-availability answered a {type(payload).__name__}, not a JSON array of days"
            " (unknown cabin or changed format)",
        )
    if not payload:
        return payload
    entries = [e for e in payload if isinstance(e, dict)]
    if not entries:
        raise ProviderAnswerError(hid, f"{what}: none of the {len(payload)} entries of the answer is a JSON object")
    seen: set[str] = set().union(*(e.keys() for e in entries))
    missing = [key for key in REQUIRED_FIELDS if key not in seen]
    if missing:
        raise ProviderAnswerError(
            hid,
            f"{what}: no day of the answer has the field(s) {missing} (fields seen: {sorted(seen)[:12]}):"
            " the provider's format changed; update providers/huetten_holiday/parse.py",
        )
    return payload


def parse_month(
    payload: object,
    hut: HutRef,
    month: Month,
    start: dt.date,
    end: dt.date | None = None,
) -> tuple[list[Night], list[RejectedDay]]:
    """Map one get-month-availability answer to the nights in [start, end) (every night from
    `start` when `end` is None), sorted by date, plus the rejected days. Rules: the module docstring."""
    entries = _check_whole_answer(payload, hut, month)
    last = end or dt.date.max
    nights: dict[dt.date, Night] = {}
    first_index: dict[dt.date, int] = {}
    places_of: dict[tuple[int | None, int | None], tuple[PlacesSchema, Any]] = {}
    open_type, closed_type = HutTypeEnum(hut.hut_type_open), HutTypeEnum(hut.hut_type_closed)
    rejected: list[RejectedDay] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            rejected.append(RejectedDay(index, None, f"entry is not an object: {describe(entry)}"))
            continue
        raw = entry.get("date")
        match = _MIDNIGHT_DATE.fullmatch(raw) if isinstance(raw, str) else None
        day: dt.date | None = None
        if match is not None:
            try:
                day = dt.date.fromisoformat(match.group(1))
            except ValueError:
                day = None
        if day is None:
            shown = raw[:40] if isinstance(raw, str) else None
            reason = f"no valid 'date' (YYYY-MM-DDT00:00:00Z): {describe(raw)}"
            rejected.append(RejectedDay(index, shown, reason))
            continue
        if Month.of(day) != month:
            rejected.append(RejectedDay(index, day.isoformat(), f"day of {Month.of(day)} in the answer for {month}"))
            continue
        if not start <= day < last:
            continue
        values = _day_values(entry)
        if isinstance(values, str):
            rejected.append(RejectedDay(index, day.isoformat(), values))
            continue
        if day in nights:
            reason = f"duplicate date: entry #{first_index[day]} already gave it"
            rejected.append(RejectedDay(index, day.isoformat(), reason))
            continue
        summed, total = values
        service = Service.closed if total == 0 else Service.serviced
        free: int | None = max(summed, 0)
        state = day_state_for(service, free, total)
        free, stored_total = stored_places(state, free, total)
        known = places_of.get((free, stored_total))
        if known is None:
            places = PlacesSchema(free=free, total=stored_total, free_tolerance=0, total_fallback=None)
            known = places_of[(free, stored_total)] = (places, occupancy_of(places))
        hut_type = hut_type_for(service, open_type, closed_type)
        nights[day] = Night(day, state, hut_type, False, known[0], known[1])
        first_index[day] = index
    if not nights and rejected:
        first = rejected[0]
        raise ProviderAnswerError(
            hut.source_hut_id,
            f"cabin {hut.source_hut_id} ({hut.slug}), month {month}: no usable day, all {len(rejected)} day(s)"
            f" in question were rejected; first: entry #{first.index} ({first.date}): {first.reason}",
        )
    return sorted(nights.values(), key=lambda n: n.date), rejected


# --------------------------------------------------------------------------------------------- cabins


@dataclass(frozen=True)
class Cabin:
    """One cabin of the site's list, as the catalog loads it."""

    cabin_id: str
    name: str
    slug: str | None
    country: str | None
    lat: float | None
    lon: float | None
    altitude: int | None


@dataclass(frozen=True)
class CabinPage:
    """One page of the cabin list: its usable cabins, the problems of the others, and whether more follow."""

    cabins: list[Cabin]
    problems: list[str]
    next_page: int | None


def _number(value: object) -> float | None:
    """A coordinate or altitude as the site gives it (number or numeric string); None when absent or bad."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _country(value: object) -> str | None:
    """ISO country code of the cabin (`country.code`, e.g. AT), upper case; None when absent."""
    if isinstance(value, dict):
        code = value.get("code")
        if isinstance(code, str) and re.fullmatch(r"[A-Za-z]{2}", code.strip()):
            return code.strip().upper()
    return None


def parse_cabins(payload: object, page: int) -> CabinPage:
    """Map one page of `GET /get-cabins?page=N`. Deleted cabins (`is_delete`) are left out; a cabin
    without an integer id or a name is a problem named by its position; a page that is not Laravel's
    pagination object raises `ProviderAnswerError`."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise ProviderAnswerError(
            "get-cabins",
            f"cabin list page {page}: expected an object with a 'data' list (Laravel pagination), got"
            f" {type(payload).__name__}{' with keys ' + str(sorted(payload)[:8]) if isinstance(payload, dict) else ''}",
        )
    cabins: list[Cabin] = []
    problems: list[str] = []
    for position, item in enumerate(payload["data"]):
        where = f"cabin list page {page}, entry #{position}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not an object: {describe(item)}")
            continue
        if item.get("is_delete") is True:
            continue
        cabin_id, name = item.get("id"), item.get("name")
        if isinstance(cabin_id, bool) or not isinstance(cabin_id, int) or cabin_id <= 0:
            problems.append(f"{where}: id is not a positive integer: {describe(cabin_id)}")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where} (cabin {cabin_id}): name is missing or empty")
            continue
        slug = item.get("slug")
        altitude = _number(item.get("altitude"))
        cabins.append(
            Cabin(
                cabin_id=str(cabin_id),
                name=name.strip(),
                slug=slug.strip() if isinstance(slug, str) and slug.strip() else None,
                country=_country(item.get("country")),
                lat=_number(item.get("latitude")),
                lon=_number(item.get("longitude")),
                altitude=round(altitude) if altitude is not None else None,
            )
        )
    current, last = payload.get("current_page"), payload.get("last_page")
    has_next = payload.get("next_page_url") is not None
    if isinstance(current, int) and isinstance(last, int) and not isinstance(current, bool):
        has_next = has_next and current < last
    return CabinPage(cabins, problems, page + 1 if has_next else None)
