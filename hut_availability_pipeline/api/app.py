"""The FastAPI application: routes, error mapping and HTTP caching. Thin: parse, query
(storage.queries on pooled read-only connections), shape with the response models."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

import psycopg
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from ..config import Settings
from ..domain.dates import date_range, parse_date
from ..storage import queries
from ..storage.database import Database
from ..storage.read_models import DayAvailability, HutInfo, HutState, UnknownHutError
from . import models
from .docs import add_docs
from .pool import PoolTimeout, read_only_pool

CACHE_CONTROL = "public, max-age=300"  # data is refreshed every 30 minutes at the most
GEOJSON = "application/geo+json"
MAX_MAP_DAYS = 31
MAX_DETAIL_DAYS = 366
MAX_OFFSET = 1_000_000
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")

Clock = Callable[[], dt.datetime]


class ApiError(Exception):
    """An answer other than 200: its status and a message that says what to do."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.Error, "description": "Bad date or parameter"},
    404: {"model": models.Error, "description": "Unknown hut"},
    503: {"model": models.Error, "description": "Database busy or unavailable: retry later"},
}
_CACHED = {
    "Cache-Control": {"schema": {"type": "string"}, "description": CACHE_CONTROL},
    "ETag": {"schema": {"type": "string"}, "description": "Hash of the body: send it back as If-None-Match"},
    "Last-Modified": {"schema": {"type": "string"}, "description": "The newest check among the data shown"},
}


def create_app(db: Database, settings: Settings, *, clock: Clock | None = None, pool_size: int = 8) -> FastAPI:
    """The API over `db`: read-only pooled connections, dates in `settings.zone`; `clock` gives
    "now" (default: the system clock)."""
    now: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
    pool = read_only_pool(db, size=pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(
        title="Hut availability",
        version="1",
        summary="Free places of mountain huts per date, and how they changed (read-only).",
        lifespan=lifespan,
        docs_url=None,  # add_docs: the same page with local assets
        redoc_url=None,
    )
    app.state.pool = pool
    add_docs(app)

    @contextmanager
    def connection() -> Iterator[psycopg.Connection[Any]]:
        try:
            with pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise ApiError(503, f"{exc}: retry later") from None
        except psycopg.OperationalError as exc:
            raise ApiError(503, f"database unavailable ({type(exc).__name__}): retry later") from None

    def day_of(text: str) -> dt.date:
        try:
            return parse_date(text, settings.zone, now())
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None

    def check_slug(slug: str) -> str:
        if not _SLUG.match(slug):
            raise ApiError(404, f"no hut with slug {slug!r}")
        return slug

    def date_to(start: dt.date, days: int) -> dt.date:
        try:
            return date_range(start, None, days)[1]
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None

    @app.get(
        "/v1/availability/{date}.geojson",
        response_model=models.HutFeatureCollection,
        response_class=_GeoJSONResponse,
        responses={**_ERRORS, 200: {"headers": _CACHED}},
        summary="Huts with their availability for a map",
        description=(
            "A GeoJSON FeatureCollection: one Point feature per active hut (in slug order) with its "
            "dates from `date` on. `date` is YYYY-MM-DD, today, tomorrow or weekend (the coming Saturday)."
        ),
    )
    def availability_map(
        request: Request,
        date: Annotated[str, Path(description="First date: YYYY-MM-DD, today, tomorrow or weekend.")],
        days: Annotated[int, Query(ge=1, le=MAX_MAP_DAYS, description="How many dates.")] = queries.MAP_DAYS,
        slugs: Annotated[str | None, Query(description="Only these huts: slugs separated by commas.")] = None,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Huts to skip.")] = 0,
        limit: Annotated[int | None, Query(ge=1, le=1000, description="At most this many huts.")] = None,
    ) -> Response:
        start = day_of(date)
        end = date_to(start, days)
        wanted = _slug_list(slugs)
        with connection() as conn:
            if wanted:
                unknown = queries.unknown_slugs(conn, wanted)
                if unknown:
                    raise ApiError(404, f"no hut with slug {', '.join(map(repr, unknown))}")
            page = queries.for_map_geojson(conn, start, end, slugs=wanted, offset=offset, limit=limit)
        # serialized by PostgreSQL in the shape of models.HutFeatureCollection (see read_map_geojson.sql)
        return _cached(request, page.text.encode(), page.last_checked, GEOJSON)

    @app.get(
        "/v1/huts/{slug}/availability/{date}",
        response_model=models.HutAvailability,
        responses={**_ERRORS, 200: {"headers": _CACHED}},
        summary="One hut's availability with booking links",
    )
    def hut_availability(
        request: Request,
        slug: Annotated[str, Path(description="The hut's slug.")],
        date: Annotated[str, Path(description="First date: YYYY-MM-DD, today, tomorrow or weekend.")],
        days: Annotated[int, Query(ge=1, le=MAX_DETAIL_DAYS, description="How many dates.")] = queries.DETAIL_DAYS,
    ) -> Response:
        start = day_of(date)
        end = date_to(start, days)
        with connection() as conn:
            detail = queries.for_hut_detail(conn, check_slug(slug), start, end)
        body = models.HutAvailability(
            hut=_hut_with_location(detail.hut),
            date_from=start,
            date_to=end,
            days=[models.DayDetail(**_day_fields(d), link=d.link, first_checked=d.first_checked) for d in detail.days],
        )
        return _cached(request, body.model_dump_json().encode(), detail.last_checked)

    @app.get(
        "/v1/huts/{slug}/availability/{date}/trend",
        response_model=models.Trend,
        responses={**_ERRORS, 200: {"headers": _CACHED}},
        summary="How a hut-date's availability changed",
        description=(
            "Every state of the hut on `date` that was in force at some time in the last `days_before` days "
            "up to now, oldest first: the state in force when that window opened is included, and so are "
            "today's changes."
        ),
    )
    def hut_trend(
        request: Request,
        slug: Annotated[str, Path(description="The hut's slug.")],
        date: Annotated[str, Path(description="The date: YYYY-MM-DD, today, tomorrow or weekend.")],
        days_before: Annotated[int, Query(ge=0, le=MAX_DETAIL_DAYS, description="Window length in days.")] = 14,
    ) -> Response:
        target = day_of(date)
        with connection() as conn:
            trend = queries.for_trend(conn, check_slug(slug), target, days_before, now())
        body = models.Trend(
            hut=_hut(trend.hut),
            date=target,
            days_before=days_before,
            window_start=trend.window_start,
            window_end=trend.window_end,
            states=[models.TrendState(**_state_fields(s)) for s in trend.states],
        )
        newest = max((s.last_checked for s in trend.states if s.last_checked is not None), default=None)
        return _cached(request, body.model_dump_json().encode(), newest)

    @app.exception_handler(UnknownHutError)
    def unknown_hut(request: Request, exc: UnknownHutError) -> JSONResponse:
        """Every endpoint that names a hut answers 404 when there is none."""
        return api_error(request, ApiError(404, str(exc)))

    @app.exception_handler(ApiError)
    def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if exc.status == 503:
            headers["Retry-After"] = "5"
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}" for e in exc.errors()
        )
        return JSONResponse({"detail": problems}, status_code=400, headers={"Cache-Control": "no-store"})

    def openapi() -> dict[str, Any]:
        """The generated schema, with 400 (not FastAPI's 422) for bad parameters, and errors as
        application/json also where the success is GeoJSON (FastAPI gives them the route's type)."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    responses.pop("422", None)
                    for status, response in responses.items():
                        content = response.get("content")
                        if status != "200" and content:
                            response["content"] = {"application/json": next(iter(content.values()))}
            for unused in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class _GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def _slug_list(text: str | None) -> list[str] | None:
    """The slugs of a comma-separated list, once each; None (every hut) when there are none."""
    slugs = list(dict.fromkeys(s.strip() for s in (text or "").split(",") if s.strip()))
    bad = [s for s in slugs if not _SLUG.match(s)]
    if bad:
        raise ApiError(404, f"no hut with slug {', '.join(map(repr, bad))}")
    return slugs or None


def _hut_fields(hut: HutInfo) -> dict[str, Any]:
    return {
        "id": hut.hut_id,
        "slug": hut.slug,
        "name": hut.name,
        "country": hut.country,
        "elevation": hut.elevation,
        "capacity": hut.capacity,
        "source": hut.source,
        "source_hut_id": hut.source_hut_id,
    }


def _hut(hut: HutInfo) -> models.Hut:
    return models.Hut(**_hut_fields(hut))


def _hut_with_location(hut: HutInfo) -> models.HutWithLocation:
    return models.HutWithLocation(**_hut_fields(hut), lat=hut.lat, lon=hut.lon)


def _day_fields(d: DayAvailability) -> dict[str, Any]:
    return {
        "date": d.availability_date,
        "free": d.free,
        "total": d.total,
        "occupancy_percent": d.occupancy_percent,
        "occupancy_steps": d.occupancy_steps,
        "occupancy_status": d.occupancy_status,
        "reservation_status": d.reservation_status,
        "hut_type": d.hut_type,
        "day_state": d.day_state,
        "last_checked": d.last_checked,
    }


def _state_fields(s: HutState) -> dict[str, Any]:
    return {
        "free": s.free,
        "total": s.total,
        "occupancy_percent": s.occupancy_percent,
        "hut_type": s.hut_type,
        "reservation_status": s.reservation_status,
        "day_state": s.day_state,
        "first_checked": s.first_checked,
        "last_checked": s.last_checked,
        "duration_seconds": s.duration_seconds,
        "superseded_at": s.superseded_at,
        "is_current": s.is_current,
    }


def _cached(
    request: Request, content: bytes, last_modified: dt.datetime | None, media_type: str = "application/json"
) -> Response:
    """The body with cache headers (Cache-Control, an ETag of the body, Last-Modified from the
    newest check), or 304 Not Modified when the client's copy is still current."""
    etag = f'"{hashlib.blake2b(content, digest_size=16).hexdigest()}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if last_modified is not None:
        headers["Last-Modified"] = email.utils.format_datetime(last_modified.astimezone(dt.UTC), usegmt=True)
    if _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=media_type, headers=headers)


def _not_modified(request: Request, etag: str, last_modified: dt.datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since
