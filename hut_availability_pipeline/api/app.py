"""The FastAPI application: the read-only pool, the API's routers, the web front end, the docs and
the error mapping, put together. Each part is its own module: dependencies (`deps`), caching
(`caching`), errors (`errors`), routes (`routes/`), the published description (`openapi`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..config import Settings
from ..storage.database import Database
from .deps import Clock
from .docs import add_docs
from .errors import add_error_handlers
from .openapi import openapi_of
from .pool import read_only_pool
from .routes import availability, browse, huts, tours


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
    app.state.settings = settings
    app.state.clock = clock or (lambda: dt.datetime.now(dt.UTC))
    add_docs(app)
    app.include_router(availability.router)
    app.include_router(huts.router)
    app.include_router(browse.router)
    app.include_router(tours.router)
    add_error_handlers(app)
    if web:
        from ..web import add_web

        add_web(app)  # after the API's error handlers: the pages render them as pages
    app.openapi = openapi_of(app)  # type: ignore[method-assign]
    return app
