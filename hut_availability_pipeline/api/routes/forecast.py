"""The forecast of a hut's nights, as the daily run stored it (`hut_availability_forecast`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...serving.deps import Connection, Night, Slug
from ...serving.errors import ApiError
from ...storage import queries
from ...storage.forecasts import StoredForecast, read_forecast
from .. import shapes
from ..caching import CACHED_HEADERS, cached
from ..errors import ERRORS
from ..models import Hut

router = APIRouter(prefix="/v1/huts/{slug}", tags=["forecast"])
_RESPONSES = {**ERRORS, 200: {"headers": CACHED_HEADERS}}


class NightForecast(BaseModel):
    """One night's forecast: a forecast, not a promise (see the probabilities' descriptions)."""

    date: dt.date
    as_of: dt.datetime = Field(description="The forecast used the checks up to this time.")
    free_now: int = Field(description="Free places at the last check before as_of.")
    observed_at: dt.datetime = Field(description="That check's time.")
    median_free: int = Field(description="Median forecast of the free places on the night's eve.")
    p_sold_out: float = Field(description="Chance of no free place on the eve (backtested, calibrated on past nights).")
    p_frees_up: float | None = Field(
        description="For a night with no free place now: chance a place shows at a later check before the night; "
        "null for nights with places now."
    )
    history_nights: int = Field(description="Past hut-nights the forecast learnt from (0: naive, with priors).")


class HutForecast(BaseModel):
    """A hut's nights with a stored forecast, by date."""

    hut: Hut
    nights: list[NightForecast]


def _night(f: StoredForecast) -> NightForecast:
    return NightForecast(
        date=f.date,
        as_of=f.as_of,
        free_now=f.free_now,
        observed_at=f.observed_at,
        median_free=f.median_free,
        p_sold_out=round(f.p_sold_out, 3),
        p_frees_up=None if f.p_frees_up is None else round(f.p_frees_up, 3),
        history_nights=f.history_nights,
    )


@router.get(
    "/forecast",
    response_model=HutForecast,
    responses=_RESPONSES,
    summary="The forecast of a hut's upcoming nights",
    description=(
        "As the daily forecast run (`hut_availability_forecast`) last stored it; nights without one are absent."
    ),
)
def hut_forecast(request: Request, conn: Connection, slug: Slug) -> Response:
    info = queries.find_hut(conn, slug)
    nights = read_forecast(conn, slug)
    body = HutForecast(hut=shapes.hut(info), nights=[_night(n) for n in nights])
    return cached(request, body.model_dump_json().encode(), max((n.as_of for n in nights), default=None))


@router.get(
    "/forecast/{date}",
    response_model=NightForecast,
    responses=_RESPONSES,
    summary="The forecast of one hut-night",
    description="404 when the hut is unknown or the night has no stored forecast (past, or not checked yet).",
)
def night_forecast(request: Request, conn: Connection, slug: Slug, night: Night) -> Response:
    queries.find_hut(conn, slug)
    found = read_forecast(conn, slug, night)
    if not found:
        raise ApiError(404, f"no forecast of {slug} for {night.isoformat()}: past, or not forecast yet")
    return cached(request, _night(found[0]).model_dump_json().encode(), found[0].as_of)
