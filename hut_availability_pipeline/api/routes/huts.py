"""One hut: its nights with booking links, the states of one night, the derived trends of its nights."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...serving.deps import Connection, Night, Now, Slug, date_to
from ...storage import queries
from ...storage.trends import night_trends
from .. import models, shapes
from ..caching import CACHED_HEADERS, cached
from ..errors import ERRORS

MAX_DETAIL_DAYS = 366
TREND_DAYS = 14

router = APIRouter(prefix="/v1/huts/{slug}", tags=["huts"])
_RESPONSES = {**ERRORS, 200: {"headers": CACHED_HEADERS}}


@router.get(
    "/availability/{date}",
    response_model=models.HutAvailability,
    responses=_RESPONSES,
    summary="One hut's availability with booking links",
)
def hut_availability(
    request: Request,
    conn: Connection,
    slug: Slug,
    start: Night,
    days: Annotated[int, Query(ge=1, le=MAX_DETAIL_DAYS, description="How many dates.")] = queries.DETAIL_DAYS,
) -> Response:
    end = date_to(start, days)
    detail = queries.for_hut_detail(conn, slug, start, end)
    body = models.HutAvailability(
        hut=shapes.hut_with_location(detail.hut),
        date_from=start,
        date_to=end,
        days=[shapes.day_detail(d) for d in detail.days],
    )
    return cached(request, body.model_dump_json().encode(), detail.last_checked)


@router.get(
    "/availability/{date}/trend",
    response_model=models.Trend,
    responses=_RESPONSES,
    summary="How a hut-date's availability changed",
    description=(
        "Every state of the hut on `date` that was in force at some time in the last `days_before` days "
        "up to now, oldest first: the state in force when that window opened is included, and so are "
        "today's changes."
    ),
)
def hut_trend(
    request: Request,
    conn: Connection,
    clock: Now,
    slug: Slug,
    target: Night,
    days_before: Annotated[int, Query(ge=0, le=MAX_DETAIL_DAYS, description="Window length in days.")] = TREND_DAYS,
) -> Response:
    trend = queries.for_trend(conn, slug, target, days_before, clock())
    body = models.Trend(
        hut=shapes.hut(trend.hut),
        date=target,
        days_before=days_before,
        window_start=trend.window_start,
        window_end=trend.window_end,
        states=[shapes.trend_state(s) for s in trend.states],
    )
    newest = max((s.last_checked for s in trend.states if s.last_checked is not None), default=None)
    return cached(request, body.model_dump_json().encode(), newest)


@router.get(
    "/trends/{date}",
    response_model=models.HutTrends,
    responses=_RESPONSES,
    summary="The derived trends of a hut's nights",
    description=(
        "Per night from `date` on (`days` nights): when it became full and how many days before the night, "
        "the places booked on each of the last 7 days, and the occupancy a week ago, as the daily derivation "
        "(`hut_availability_trends`) last found them. Nights not derived yet are absent."
    ),
)
def hut_trends(
    request: Request,
    conn: Connection,
    slug: Slug,
    start: Night,
    days: Annotated[int, Query(ge=1, le=MAX_DETAIL_DAYS, description="How many nights.")] = queries.DETAIL_DAYS,
) -> Response:
    end = date_to(start, days)
    info = queries.find_hut(conn, slug)
    nights = night_trends(conn, info.hut_id, start, end)
    body = models.HutTrends(
        hut=shapes.hut(info),
        date_from=start,
        date_to=end,
        nights=[shapes.night_trend(n) for n in nights],
    )
    newest = max((n.computed_at for n in nights), default=None)
    return cached(request, body.model_dump_json().encode(), newest)
