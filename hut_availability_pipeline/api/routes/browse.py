"""`/v1/availability`: the availability table (the seed's admin list), filtered, sorted, paged.
Its parameters are `serving.filters.TableFilter`, which the web front end's browser page and its CSV
download take too."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...serving.deps import Connection
from ...serving.filters import TableFilter
from ...storage.queries import current_availability
from ...storage.read_models import MAX_PAGE_ROWS, AvailabilityRow
from .. import models, shapes
from ..caching import CACHED_HEADERS, cached
from ..errors import ERRORS

router = APIRouter(prefix="/v1", tags=["availability"])


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
