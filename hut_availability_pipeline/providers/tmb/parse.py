"""TMB planning answers to nights (pure: no HTTP, no I/O).

`parse_planning` maps one answer of the planning call (one refuge, 30 nights from the night 15 days
before the date asked). The answer is JSONP: JSON wrapped in parentheses,
`([{"planning": [{"s": 12, ...}, ...]}])`. Mapping rules of one night (anything else makes the
night a `RejectedDay` naming it):

- the night of entry i is `first_night + i` (the answer's order; the per-entry `d` offset, whose
  sign public clients disagree on, and the top-level `datemini` are ignored).
- `s`, the free places, is a JSON integer or a string of digits ("12", as some answers give it)
  in [0, MAX_PLACES]; floats, booleans, other strings and a missing `s` are rejected.
- `f`, where present, is 1 (closed) or 0 (open), as a number or a string: a closed night is
  stored as closed (free null, total 0). Without `f`, or with `f` 0, the refuge is serviced.
- there are no totals: free > 0 is bookable (total null), 0 is "no place online"
  (`not_bookable_online`, free 0, total null: `domain.mapping.day_state_without_total`).
- nights outside [start, end) are dropped silently.

Whole-answer problems raise `ProviderAnswerError` naming the refuge: not JSONP, not the expected
shape, no night at all, or no usable night while some were rejected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...domain.bookings import HutRef, HutTypeEnum, Night, PlacesSchema, RejectedDay, occupancy_of
from ...domain.mapping import Service, day_state_without_total, hut_type_for, stored_places
from ..answers import ProviderAnswerError, decode_json, describe

__all__ = ["MAX_PLACES", "parse_planning", "unwrap_jsonp"]

MAX_PLACES = 10_000
"""Sanity bound on free places: no refuge has more; larger numbers are garbage."""


def unwrap_jsonp(content: bytes) -> bytes:
    """The JSON inside `( ... )` (an optional `;` after it, and a callback name before it, are
    accepted); `ValueError` when the answer is not wrapped so."""
    text = content.strip()
    if text.endswith(b";"):
        text = text[:-1].rstrip()
    opening = text.find(b"(")
    if opening < 0 or not text.endswith(b")") or not all(c in b"_$." or chr(c).isalnum() for c in text[:opening]):
        raise ValueError(f"not JSONP (JSON in parentheses): starts {content[:40]!r}")
    return text[opening + 1 : -1]


def _free(entry: Mapping[str, Any]) -> int | str:
    """The free places of a night, or why they cannot be read."""
    if "s" not in entry:
        return "s (free places) is missing"
    value = entry["s"]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        return f"s (free places) is not a whole number: {describe(value)}"
    if not 0 <= value <= MAX_PLACES:
        return f"s (free places) is out of range: {value}"
    return value


def _closed(entry: Mapping[str, Any]) -> bool | str:
    """Whether `f` says closed (absent: open), or why it cannot be read."""
    value = entry.get("f", 0)
    if isinstance(value, str) and value.strip() in {"0", "1"}:
        value = int(value.strip())
    if isinstance(value, bool) or value not in (0, 1):
        return f"f (closed flag) is neither 0 nor 1: {describe(value)}"
    return value == 1


def _planning(payload: object, what: str, hid: str) -> list[object]:
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], dict):
        raise ProviderAnswerError(hid, f"{what}: expected a JSON array holding an object, got {describe(payload)}")
    planning = payload[0].get("planning")
    if not isinstance(planning, list):
        raise ProviderAnswerError(
            hid,
            f"{what}: the answer has no 'planning' list (keys: {sorted(payload[0])[:8]}): unknown refuge or"
            " changed format; update providers/tmb/parse.py",
        )
    if not planning:
        raise ProviderAnswerError(hid, f"{what}: the planning lists no night (unknown refuge id?)")
    return planning


def parse_planning(
    content: bytes, hut: HutRef, first_night: dt.date, start: dt.date, end: dt.date
) -> tuple[list[Night], list[RejectedDay]]:
    """Map one planning answer whose first entry is `first_night` to the nights in [start, end),
    sorted by date, plus the rejected nights. Rules: the module docstring."""
    hid = hut.source_hut_id
    what = f"refuge {hid} ({hut.slug}), nights from {first_night.isoformat()}"
    try:
        payload = decode_json(unwrap_jsonp(content))
    except ValueError as exc:
        raise ProviderAnswerError(hid, f"{what}: unreadable answer: {exc}") from None
    planning = _planning(payload, what, hid)
    open_type, closed_type = HutTypeEnum(hut.hut_type_open), HutTypeEnum(hut.hut_type_closed)
    places_of: dict[tuple[int | None, int | None], tuple[PlacesSchema, Any]] = {}
    nights: list[Night] = []
    rejected: list[RejectedDay] = []
    for index, entry in enumerate(planning):
        night = first_night + dt.timedelta(days=index)
        if not start <= night < end:
            continue
        if not isinstance(entry, dict):
            rejected.append(RejectedDay(index, night.isoformat(), f"entry is not an object: {describe(entry)}"))
            continue
        free, closed = _free(entry), _closed(entry)
        if isinstance(closed, str) or (isinstance(free, str) and closed is not True):
            reason = closed if isinstance(closed, str) else str(free)
            rejected.append(RejectedDay(index, night.isoformat(), reason))
            continue
        service = Service.closed if closed else Service.serviced
        served = free if isinstance(free, int) else None
        state = day_state_without_total(service, served)
        stored_free, total = stored_places(state, served, None)
        known = places_of.get((stored_free, total))
        if known is None:
            places = PlacesSchema(free=stored_free, total=total, free_tolerance=0, total_fallback=None)
            known = places_of[(stored_free, total)] = (places, occupancy_of(places))
        hut_type = hut_type_for(service, open_type, closed_type)
        nights.append(Night(night, state, hut_type, service is not Service.serviced, known[0], known[1]))
    if not nights and rejected:
        first = rejected[0]
        raise ProviderAnswerError(
            hid, f"{what}: no usable night, all {len(rejected)} rejected; first: {first.date}: {first.reason}"
        )
    return nights, rejected
