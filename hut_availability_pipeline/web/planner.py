"""The tour planner page (`/tours`): pick huts in order (with the map's search), a party size and a
window of start dates; the answer is `/v1/tours`'s, as a page: the dates that work and, apart, the
near misses (one night fails)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..domain.dates import today_in
from ..serving.deps import AppSettings, Connection, Now
from ..serving.errors import ApiError
from ..serving.tours import DEFAULT_WINDOW, MAX_HUTS, MAX_WINDOW, tour_query
from ..storage import tours
from ..storage.read_models import UnknownHutError
from . import i18n
from .pages import _page, language_of
from .security import safe_link

router = APIRouter(include_in_schema=False)


@router.get("/tours", response_class=HTMLResponse)
def planner_page(
    request: Request,
    conn: Connection,
    settings: AppSettings,
    clock: Now,
    huts: Annotated[str | None, Query()] = None,
    party: Annotated[int, Query(ge=1, le=1000)] = 1,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """The form, and with huts chosen, the tour's start dates."""
    _ = i18n.texts(language_of(request)).gettext
    catalog = tours.catalog(conn)
    today = today_in(settings.zone, clock())
    tour = error = None
    cut = False
    first, last = date_from or today.isoformat(), date_to or ""
    if huts:
        try:
            q = tour_query(settings, clock, huts, party, date_from, date_to)
            tour = tours.plan(conn, q.huts, q.party, q.first, q.last)
            first, last, cut = q.first.isoformat(), q.last.isoformat(), q.cut
        except ApiError as exc:
            error = exc.detail
        except UnknownHutError as exc:
            error = str(exc)
    return _page(
        request,
        "tours.html",
        title=_("Tour planner"),
        catalog=[dataclasses.asdict(h) for h in catalog],
        chosen=[s.strip() for s in (huts or "").split(",") if s.strip()],
        party=party,
        first=first,
        last=last,
        tour=tour,
        error=error,
        cut=cut,
        safe_link=safe_link,
        max_huts=MAX_HUTS,
        max_window=MAX_WINDOW,
        default_window=DEFAULT_WINDOW,
        labels={"add": _("add"), "up": _("earlier"), "down": _("later"), "remove": _("remove")},
    )
