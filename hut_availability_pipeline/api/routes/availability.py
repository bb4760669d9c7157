"""`/v1/availability/{date}.geojson`: every active hut with its availability, for a map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ...serving.deps import SLUG, Connection, Night, date_to
from ...storage import queries
from ...storage.read_models import UnknownHutError
from .. import models
from ..caching import CACHED_HEADERS, cached
from ..errors import ERRORS

GEOJSON = "application/geo+json"
MAX_MAP_DAYS = 31
MAX_OFFSET = 1_000_000

router = APIRouter(prefix="/v1", tags=["availability"])


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


@router.get(
    "/availability/{date}.geojson",
    response_model=models.HutFeatureCollection,
    response_class=GeoJSONResponse,
    responses={**ERRORS, 200: {"headers": CACHED_HEADERS}},
    summary="Huts with their availability for a map",
    description=(
        "A GeoJSON FeatureCollection: one Point feature per active hut (in slug order) with its "
        "dates from `date` on. `date` is YYYY-MM-DD, today, tomorrow or weekend (the coming Saturday)."
    ),
)
def availability_map(
    request: Request,
    conn: Connection,
    start: Night,
    days: Annotated[int, Query(ge=1, le=MAX_MAP_DAYS, description="How many dates.")] = queries.MAP_DAYS,
    slugs: Annotated[str | None, Query(description="Only these huts: slugs separated by commas.")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Huts to skip.")] = 0,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="At most this many huts.")] = None,
) -> Response:
    end = date_to(start, days)
    wanted = slug_list(slugs)
    if wanted:
        unknown = queries.unknown_slugs(conn, wanted)
        if unknown:
            raise UnknownHutError(*unknown)
    page = queries.for_map_geojson(conn, start, end, slugs=wanted, offset=offset, limit=limit)
    # serialized by PostgreSQL in the shape of models.HutFeatureCollection (see read_map_geojson.sql)
    return cached(request, page.text.encode(), page.last_checked, GEOJSON)


def slug_list(text: str | None) -> list[str] | None:
    """The slugs of a comma-separated list, once each; None (every hut) when there are none."""
    slugs = list(dict.fromkeys(s.strip() for s in (text or "").split(",") if s.strip()))
    bad = [s for s in slugs if not SLUG.match(s)]
    if bad:
        raise UnknownHutError(*bad)
    return slugs or None
