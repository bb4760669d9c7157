"""The web front end: server-rendered pages (Jinja2, autoescaped) and small scripts served by the
app itself: the map of free places (`/`), a hut's calendar, a night's booking curve and states,
the availability browser (`/browse`, with CSV), the tour planner (`/tours`) and the choice of
language (`/language`). Read-only, on the shared pooled connections (`serving.deps`); composed
with the API by `serving.app`, and imports nothing of `api`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..serving.errors import PageRender
from . import languages, planner
from .alerts import add_alerts
from .errors import page_answer
from .pages import render_error, router
from .security import add_security_headers

STATIC_DIR = Path(__file__).parent / "static"


def add_web(app: FastAPI) -> PageRender:
    """The pages at `/`, their scripts and styles at `/static`, the security headers on everything
    (images also from the map's tile server of `app.state.settings`); returns how the pages render
    a failure, for `serving.errors.add_error_handlers`."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
    add_alerts(app)
    app.include_router(planner.router)
    app.include_router(languages.router)
    add_security_headers(app, app.state.settings.map_tile_origin)
    return page_answer(render_error)
