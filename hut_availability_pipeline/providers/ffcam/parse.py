"""FFCAM availability pages to nights (pure: no HTTP, no I/O).

`parse_availability_page` maps one answer of the availability form: an HTML page one of whose
`<script>` elements holds `BK.globalAvailability = {"2025-11-01": 0, "2025-11-02": 12, ...};`,
the free places per date for one person, about a year ahead. Mapping rules of one date (anything
else makes the date a `RejectedDay` naming it):

- the key is an ISO date (YYYY-MM-DD); dates outside [start, end) are dropped silently.
- the value, the free places, is a JSON integer or a string of digits in [0, MAX_PLACES].
- there are no totals: free > 0 is bookable (total null), 0 is "no place online" (full, closed
  or unguarded: the site does not say which; `not_bookable_online`, free 0, total null).
- a date the page does not list is not stored.

A page without `BK.globalAvailability` (an error page, a login page, a changed site) is a failure
of that refuge (`ProviderAnswerError`), never a row of zeros; so is an unreadable object, or one
whose every date was rejected.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ...domain.bookings import HutRef, HutTypeEnum, Night, PlacesSchema, RejectedDay, occupancy_of
from ...domain.mapping import Service, day_state_without_total, hut_type_for, stored_places
from ..answers import ProviderAnswerError, decode_json, describe

__all__ = ["MAX_PLACES", "find_global_availability", "parse_availability_page"]

MAX_PLACES = 10_000
_GLOBAL_AVAILABILITY = re.compile(rb"BK\.globalAvailability\s*=\s*(\{.*?\})\s*;", re.DOTALL)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def find_global_availability(page: bytes) -> bytes | None:
    """The object literal assigned to `BK.globalAvailability` in the page, or None."""
    match = _GLOBAL_AVAILABILITY.search(page)
    return match.group(1) if match else None


def parse_availability_page(
    page: bytes, hut: HutRef, start: dt.date, end: dt.date
) -> tuple[list[Night], list[RejectedDay]]:
    """Map one availability page to the nights in [start, end), sorted, plus the rejected dates."""
    hid = hut.source_hut_id
    what = f"refuge {hid} ({hut.slug})"
    found = find_global_availability(page)
    if found is None:
        raise ProviderAnswerError(
            hid,
            f"{what}: the page has no BK.globalAvailability script ({len(page)} bytes, starting {page[:60]!r}):"
            " an error page, an unknown structure id or a changed site; nothing stored for it",
        )
    try:
        payload = decode_json(found)
    except ValueError as exc:
        raise ProviderAnswerError(hid, f"{what}: BK.globalAvailability is not a readable JSON object: {exc}") from None
    if not isinstance(payload, dict):
        raise ProviderAnswerError(hid, f"{what}: BK.globalAvailability is not an object: {describe(payload)}")
    open_type, closed_type = HutTypeEnum(hut.hut_type_open), HutTypeEnum(hut.hut_type_closed)
    places_of: dict[tuple[int | None, int | None], tuple[PlacesSchema, Any]] = {}
    nights: list[Night] = []
    rejected: list[RejectedDay] = []
    for index, (key, value) in enumerate(payload.items()):
        night: dt.date | None = None
        if isinstance(key, str) and _ISO_DATE.fullmatch(key):
            try:
                night = dt.date.fromisoformat(key)
            except ValueError:
                night = None
        if night is None:
            rejected.append(RejectedDay(index, str(key)[:40], "the key is not a date (YYYY-MM-DD)"))
            continue
        if not start <= night < end:
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PLACES:
            rejected.append(RejectedDay(index, key, f"free places are not a whole number in range: {describe(value)}"))
            continue
        state = day_state_without_total(Service.serviced, value)
        free, total = stored_places(state, value, None)
        known = places_of.get((free, total))
        if known is None:
            places = PlacesSchema(free=free, total=total, free_tolerance=0, total_fallback=None)
            known = places_of[(free, total)] = (places, occupancy_of(places))
        hut_type = hut_type_for(Service.serviced, open_type, closed_type)
        nights.append(Night(night, state, hut_type, False, known[0], known[1]))
    if not nights and rejected:
        first = rejected[0]
        raise ProviderAnswerError(
            hid, f"{what}: no usable date, all {len(rejected)} rejected; first: {first.date}: {first.reason}"
        )
    return sorted(nights, key=lambda n: n.date), rejected
