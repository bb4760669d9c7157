"""`/v1/availability`: the availability table (the seed's admin list), filtered, sorted, paged.
The web front end's browser page and its CSV download take the same parameters (`TableFilter`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator, Field

from ...domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from ...storage.queries import current_availability
from ...storage.read_models import MAX_PAGE_ROWS, SORT_KEYS, AvailabilityFilter, AvailabilityRow
from .. import models, shapes
from ..caching import CACHED_HEADERS, cached
from ..deps import DATE_DESCRIPTION, DATE_PATTERN, AppSettings, Connection, Now, parse_night
from ..errors import ERRORS

TABLE_DAYS = 7
PAGE_ROWS = 100

router = APIRouter(prefix="/v1", tags=["availability"])

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


@router.get(
    "/availability",
    response_model=models.AvailabilityTable,
    responses={**{k: v for k, v in ERRORS.items() if k != 404}, 200: {"headers": CACHED_HEADERS}},  # names no hut
    summary="The availability table: hut-dates filtered, sorted and paged",
    description=(
        "The current state of every hut-date from `from` to `to` (none when `to` is before `from`) that passes "
        "the filters (repeat a parameter for several values: any of them), sorted by `sort` (then by hut and date)."
    ),
)
def availability_table(request: Request, conn: Connection, filters: TableFilter) -> Response:
    page = current_availability(conn, filters)
    body = models.AvailabilityTable(
        date_from=filters.date_from,
        date_to=filters.date_to,
        number_matched=page.matched,
        number_returned=len(page.rows),
        offset=filters.offset,
        limit=filters.limit or MAX_PAGE_ROWS,  # always set here (a query parameter with a default)
        rows=[table_row(r) for r in page.rows],
    )
    newest = max((r.last_checked for r in page.rows), default=None)
    return cached(request, body.model_dump_json().encode(), newest)


def table_row(r: AvailabilityRow) -> models.AvailabilityRow:
    return models.AvailabilityRow(
        **shapes.day_fields(r),
        slug=r.slug,
        name=r.name,
        source=r.source,
        source_hut_id=r.source_hut_id,
        link=r.link,
        first_checked=r.first_checked,
    )
