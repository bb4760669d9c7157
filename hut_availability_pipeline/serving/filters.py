"""The availability table's filters from the query string (`TableFilter`), shared by the API's
`/v1/availability` and the web front end's browser page and its CSV download: one parser, one
published description of the parameters, one `AvailabilityFilter` for the query."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BeforeValidator, Field

from ..domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from ..storage.read_models import MAX_PAGE_ROWS, SORT_KEYS, AvailabilityFilter
from .deps import DATE_DESCRIPTION, DATE_PATTERN, AppSettings, Now, parse_night

TABLE_DAYS = 7
PAGE_ROWS = 100

# a date, or empty (the web page's form sends an empty field): the default
_DATE: dict[str, Any] = {"json_schema_extra": {"pattern": DATE_PATTERN.removesuffix(")$") + "|)$"}}
_FROM = f"First date (default, also when empty: today): {DATE_DESCRIPTION}"
_PARTY = "Party size: nights with at least this many free places (empty: any)."
PartySize = Annotated[int, Field(ge=1, le=1000)]
_PARTY_SCHEMA: dict[str, Any] = {  # the published schema says that an empty party is accepted, as "any"
    "json_schema_extra": {
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": 1000}, {"type": "string", "enum": [""]}]
    }
}
_TO = f"Last date (default, also when empty: {TABLE_DAYS} days from `from`): {DATE_DESCRIPTION}"


def _empty_is_none(value: object) -> object:
    """An empty field of the web page's form (`party=`) means "any", as if it were absent."""
    return None if value == "" else value


def table_filter(
    settings: AppSettings,
    clock: Now,
    date_from: Annotated[str | None, Query(alias="from", description=_FROM, **_DATE)] = None,
    date_to: Annotated[str | None, Query(alias="to", description=_TO, **_DATE)] = None,
    state: Annotated[list[DayState] | None, Query(description="Day states (any of them).")] = None,
    status: Annotated[list[ReservationStatusEnum] | None, Query(description="Reservation statuses.")] = None,
    hut_type: Annotated[list[HutTypeEnum] | None, Query(description="Hut types (any of them).")] = None,
    source: Annotated[list[str] | None, Query(description="Booking sources (any of them), e.g. hrs.")] = None,
    party: Annotated[
        PartySize | None, BeforeValidator(_empty_is_none), Query(description=_PARTY, **_PARTY_SCHEMA)
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Search in the hut's name or slug.")] = None,
    sort: Annotated[str, Query(pattern="^(" + "|".join(SORT_KEYS) + ")$", description="Sort key.")] = "name",
    desc: Annotated[bool, Query(description="Sort descending.")] = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_ROWS, description="At most this many rows.")] = PAGE_ROWS,
) -> AvailabilityFilter:
    """The table's filters from the query string; 400 naming what is wrong."""
    start = parse_night(date_from or "today", settings, clock)
    if date_to:
        end = parse_night(date_to, settings, clock)
    elif start > dt.date.max - dt.timedelta(days=TABLE_DAYS - 1):
        end = dt.date.max
    else:
        end = start + dt.timedelta(days=TABLE_DAYS - 1)
    return AvailabilityFilter(
        date_from=start,
        date_to=end,
        day_states=tuple(s.value for s in state or ()),
        reservation_statuses=tuple(s.value for s in status or ()),
        hut_types=tuple(t.value for t in hut_type or ()),
        sources=tuple(dict.fromkeys(source or ())),
        min_free=party,
        search=(q or "").strip() or None,
        sort=sort,
        descending=desc,
        offset=offset,
        limit=limit,
    )


TableFilter = Annotated[AvailabilityFilter, Depends(table_filter)]
