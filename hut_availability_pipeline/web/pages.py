"""The pages: thin routes that parse, query (storage) and render a template (`templates/`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from ..api.deps import AppSettings, Connection, Now, Slug, parse_night
from ..api.errors import ApiError
from ..api.routes.browse import TableFilter
from ..domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from ..domain.dates import today_in
from ..forecast.wording import chance
from ..storage import queries
from ..storage.browse_queries import MAX_PAGE_ROWS, SORT_KEYS, browse, sources
from ..storage.forecasts import read_forecast, sell_out_history
from ..storage.read_models import UnknownHutError
from ..storage.trends import night_trends
from . import views
from .security import safe_link

CALENDAR_DAYS = 366
MIN_SELL_OUT_NIGHTS = 10  # past nights a hut needs before the night page says how its nights usually sold out
CSV_ROWS = MAX_PAGE_ROWS

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every value is HTML-escaped unless a template says otherwise (none does)
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(
    state_label=views.state_label, state_class=views.state_class, places=views.places, duration=views.duration
)
templates = Jinja2Templates(env=_ENV)

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status, headers={"Cache-Control": "no-cache"})


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page: what was wrong, with the status of the answer."""
    title = {404: "Not found", 503: "Busy"}.get(status, "Bad request")
    return _page(request, "error.html", status, title=title, message=message)


_error = render_error


@router.get("/", response_class=HTMLResponse)
def map_page(
    request: Request,
    settings: AppSettings,
    clock: Now,
    date: Annotated[str | None, Query()] = None,
    party: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> HTMLResponse:
    """Every active hut on a map, coloured by the chosen night, over the base map's tiles when
    they are configured and can be loaded (drawn by static/map.js)."""
    today = today_in(settings.zone, clock())
    try:
        night = parse_night(date, settings, clock) if date else today
    except ApiError as exc:
        return _error(request, exc.status, exc.detail)
    return _page(
        request,
        "map.html",
        title="Free places",
        night=night.isoformat(),
        today=today,
        party=party,
        tiles=settings.map_tiles,
        attribution=settings.map_tiles_attribution,
    )


@router.get("/huts/{slug}", response_class=HTMLResponse)
def hut_page(request: Request, conn: Connection, settings: AppSettings, clock: Now, slug: Slug) -> HTMLResponse:
    """A hut's facts, booking link and the calendar of its coming nights."""
    today = today_in(settings.zone, clock())
    last = today + dt.timedelta(days=CALENDAR_DAYS - 1)
    try:
        detail = queries.for_hut_detail(conn, slug, today, last)
    except UnknownHutError as exc:
        return _error(request, 404, str(exc))
    trends = night_trends(conn, detail.hut.hut_id, today, last)
    filling = sorted((t for t in trends if t.booked_last_week), key=lambda t: -(t.booked_last_week or 0))[:10]
    booking = next((link for d in detail.days if (link := safe_link(d.link))), None)
    shown_until = detail.days[-1].availability_date if detail.days else today
    return _page(
        request,
        "hut.html",
        title=detail.hut.name,
        hut=detail.hut,
        booking=booking,
        months=views.calendar_months(detail.days, today, shown_until),
        forecasts={f.date: f for f in read_forecast(conn, detail.hut.slug)},
        chance=chance,
        nights=len(detail.days),
        last_checked=views.local_time(detail.last_checked, settings.zone),
        filling=filling,
        full_soon=[t for t in trends if t.became_full_at is not None][:10],
        zone=settings.zone,
        local_time=views.local_time,
    )


@router.get("/huts/{slug}/nights/{date}", response_class=HTMLResponse)
def night_page(
    request: Request, conn: Connection, settings: AppSettings, clock: Now, slug: Slug, date: str
) -> HTMLResponse:
    """A night of a hut: its booking curve, its states (the admin's inline history), its trend."""
    try:
        night = parse_night(date, settings, clock)
        history = queries.hut_date_history(conn, slug, night)
    except ApiError as exc:
        return _error(request, exc.status, exc.detail)
    except UnknownHutError as exc:
        return _error(request, 404, str(exc))
    detail = queries.for_hut_detail(conn, history.hut.hut_id, night, night)
    current = detail.days[0] if detail.days else None
    trend = next(iter(night_trends(conn, history.hut.hut_id, night, night)), None)
    forecast = next(iter(read_forecast(conn, history.hut.slug, night)), None)
    sold_out = sell_out_history(conn, history.hut.hut_id, today_in(settings.zone, clock()))
    now = clock()
    return _page(
        request,
        "night.html",
        title=f"{history.hut.name}, {night.isoformat()}",
        hut=history.hut,
        night=night,
        previous=(night - dt.timedelta(days=1)).isoformat() if night > dt.date.min else None,
        next=(night + dt.timedelta(days=1)).isoformat() if night < dt.date.max else None,
        current=current,
        booking=safe_link(current.link) if current else None,
        states=list(reversed(history.states)),  # newest first, as the admin's inline list
        curve=views.booking_curve(history.states, now, settings.zone),
        full=views.became_full(history.states, night, settings.zone),
        trend=trend,
        forecast=forecast,
        sold_out=sold_out if sold_out.nights >= MIN_SELL_OUT_NIGHTS else None,
        chance=chance,
        zone=settings.zone,
        local_time=views.local_time,
    )


@router.get("/browse", response_class=HTMLResponse)
def browse_page(request: Request, conn: Connection, filters: TableFilter) -> HTMLResponse:
    """The availability table: filters, search, sort, pages, and a CSV of what it shows."""
    page = browse(conn, filters)
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "sort", "desc")]
    return _page(
        request,
        "browse.html",
        title="Availability",
        page=page,
        filters=filters,
        query=query,
        day_states=[s.value for s in DayState],
        statuses=[s.value for s in ReservationStatusEnum],
        hut_types=[t.value for t in HutTypeEnum],
        sources=sources(conn),
        sort_keys=SORT_KEYS,
        local_time=views.local_time,
        zone=request.app.state.settings.zone,
    )


@router.get("/browse.csv")
def browse_csv(conn: Connection, filters: TableFilter) -> Response:
    """The rows the table shows (its filters and sort, this page), as CSV."""
    page = browse(conn, filters)
    return Response(
        views.table_csv(page.rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="availability.csv"', "Cache-Control": "no-cache"},
    )
