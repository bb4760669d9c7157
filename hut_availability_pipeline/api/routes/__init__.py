"""The API's routes, one router per resource: the map (`availability`), one hut (`huts`), the
table (`browse`), forecasts (`forecast`) and tours (`tours`). `routers()` lists them in the order
the app includes them: `serving.app` serves them, `reference` documents the same list."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """Every router of the API (their modules imported now)."""
    from . import availability, browse, forecast, huts, tours

    return [availability.router, huts.router, browse.router, forecast.router, tours.router]
