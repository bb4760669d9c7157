"""The one application: the read-only pool, the API's routers, the web front end, the docs and the
error mapping, put together here and nowhere else. `api` and `web` do not import each other; what
they share lives in this package: dependencies (`deps`: connection, settings, clock, dates, slugs),
the table's filters (`filters`), failures and their handlers (`errors`), the pool (`pool`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..api.docs import add_docs
from ..api.errors import json_answer
from ..api.openapi import openapi_of
from ..api.routes import routers
from ..config import Settings
from ..storage.database import Database
from .deps import Clock
from .errors import PageRender, add_error_handlers
from .pool import read_only_pool


def create_app(
    db: Database, settings: Settings, *, clock: Clock | None = None, pool_size: int = 8, web: bool = True
) -> FastAPI:
    """The API over `db`: read-only pooled connections, dates in `settings.zone`; `clock` gives
    "now" (default: the system clock); `web` adds the front end's pages at `/`."""
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
    app.state.db = db  # the pages' few writes (web/alerts.py: e-mail alerts); reads use the pool
    app.state.settings = settings
    app.state.clock = clock or (lambda: dt.datetime.now(dt.UTC))
    add_docs(app)
    for router in routers():
        app.include_router(router)
    page: PageRender | None = None
    if web:
        from ..web import add_web

        page = add_web(app)
    add_error_handlers(app, json_answer, page)  # the pages' paths render failures as pages
    app.openapi = openapi_of(app)  # type: ignore[method-assign]  # FastAPI documents replacing app.openapi
    return app
