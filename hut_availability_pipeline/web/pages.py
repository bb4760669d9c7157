"""The pages: thin routes that parse, query (storage) and render a template (`templates/`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from .. import formatting
from ..config import Settings
from ..domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from ..domain.dates import today_in
from ..domain.freshness import hut_notice, source_notices
from ..forecast.wording import chance
from ..serving.deps import AppSettings, Connection, Now, Slug, parse_night
from ..serving.errors import ApiError
from ..serving.filters import TableFilter
from ..storage import queries
from ..storage.forecasts import read_forecast, sell_out_history
from ..storage.freshness import fetch_states, source_names
from ..storage.read_models import SORT_KEYS, UnknownHutError
from ..storage.trends import night_trends
from . import i18n, views
from .alert_form import mail_form, remember_form
from .security import safe_link

CALENDAR_DAYS = 366
MIN_SELL_OUT_NIGHTS = 10  # past nights a hut needs before the night page says how its nights usually sold out

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every value is HTML-escaped unless a template says otherwise (none does)
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(
    state_label=formatting.state_label,
    state_class=views.state_class,
    places=formatting.places,
    percent=formatting.percent,
    duration=formatting.duration,
    local_time=formatting.local_time,
)
templates = Jinja2Templates(env=_ENV)

router = APIRouter(include_in_schema=False)


def language_of(request: Request) -> str:
    """The page's language: chosen (cookie), else the browser's (Accept-Language), else English."""
    return i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    language = language_of(request)
    texts = i18n.texts(language)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context.update(lang=language, _=texts.gettext, fmt_date=texts.date, fmt_number=texts.number)
    context.update(languages=i18n.NAMES, here=here, weekdays=texts.weekdays())
    headers = {"Cache-Control": "no-cache", "Content-Language": language, "Vary": "Accept-Language, Cookie"}
    return templates.TemplateResponse(request, name, context, status_code=status, headers=headers)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page: what was wrong, with the status of the answer."""
    _ = i18n.texts(language_of(request)).gettext
    title = {404: _("Not found"), 503: _("Busy")}.get(status) or _("Bad request")
    return _page(request, "error.html", status, title=title, message=message)


_error = render_error


def _freshness(conn: Any, settings: Settings, now: dt.datetime, hut_id: int | None = None) -> dict[str, Any]:
    """The notices of data that may be out of date (templates/freshness.html): of every source on
    the map; of the hut's source and the hut itself on its page."""
    states = fetch_states(conn, settings.tiers, now, settings.zone)
    notices = source_notices(states, settings.tiers, now, source_names(conn))
    if hut_id is None:
        return {"notices": notices, "hut_notice": None}
    state = next((s for s in states if s.hut_id == hut_id), None)
    return {
        "notices": [n for n in notices if state is not None and n.source == state.source],
        "hut_notice": hut_notice(state, settings.tiers, now),
    }


@router.get("/", response_class=HTMLResponse)
def map_page(
    request: Request,
    conn: Connection,
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
        title=i18n.texts(language_of(request))._("Free places"),
        js_labels=views.map_labels(i18n.texts(language_of(request))),
        night=night.isoformat(),
        today=today,
        party=party,
        tiles=settings.map_tiles,
        attribution=settings.map_tiles_attribution,
        zone=settings.zone,
        **_freshness(conn, settings, clock()),
    )


@router.get("/huts/{slug}", response_class=HTMLResponse)
def hut_page(request: Request, conn: Connection, settings: AppSettings, clock: Now, slug: Slug) -> HTMLResponse:
    """A hut's facts, booking link and the calendar of its coming nights."""
    today = today_in(settings.zone, clock())
    last = today + dt.timedelta(days=CALENDAR_DAYS - 1)
    try:
        detail = queries.for_hut_detail(conn, slug, today, last)
    except UnknownHutError as exc:
        return _error(request, 404, exc.what)
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
        last_checked=formatting.local_time(detail.last_checked, settings.zone),
        filling=filling,
        full_soon=[t for t in trends if t.became_full_at is not None][:10],
        trends_at=max((t.computed_at for t in trends), default=None),
        zone=settings.zone,
        **_freshness(conn, settings, clock(), detail.hut.hut_id),
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
        return _error(request, 404, exc.what)
    detail = queries.for_hut_detail(conn, history.hut.hut_id, night, night)
    current = detail.days[0] if detail.days else None
    trend = next(iter(night_trends(conn, history.hut.hut_id, night, night)), None)
    forecast = next(iter(read_forecast(conn, history.hut.slug, night)), None)
    sold_out = sell_out_history(conn, history.hut.hut_id, today_in(settings.zone, clock()))
    now = clock()
    mail = mail_form(request)
    page = _page(
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
        mail=mail,
        alert_open=night >= today_in(settings.zone, now),
        **_freshness(conn, settings, now, history.hut.hut_id),
    )
    return remember_form(request, page, mail)


@router.get("/browse", response_class=HTMLResponse)
def browse_page(request: Request, conn: Connection, filters: TableFilter) -> HTMLResponse:
    """The availability table: filters, search, sort, pages, and a CSV of what it shows."""
    page = queries.current_availability(conn, filters)
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
        sources=queries.source_slugs(conn),
        sort_keys=SORT_KEYS,
        zone=request.app.state.settings.zone,
    )


@router.get("/browse.csv")
def browse_csv(conn: Connection, settings: AppSettings, filters: TableFilter) -> Response:
    """The rows the table shows (its filters and sort, this page), as CSV: the columns of
    `show --format csv`, times in the configured zone."""
    page = queries.current_availability(conn, filters)
    records = (dataclasses.asdict(r) for r in page.rows)
    return Response(
        formatting.csv_text(formatting.AVAILABILITY_COLUMNS, records, settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="availability.csv"', "Cache-Control": "no-cache"},
    )
