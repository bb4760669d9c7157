"""The API's dependencies (FastAPI `Depends`): a pooled read-only connection, the settings, the
clock, and the parsed path parameters every route shares (a date in its word or ISO form, a slug)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Path, Request
from psycopg_pool import ConnectionPool

from ..config import Settings
from ..domain.dates import DATE_WORDS, date_range, parse_date
from ..storage.read_models import UnknownHutError
from .errors import ApiError
from .pool import PoolTimeout

Clock = Callable[[], dt.datetime]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")
# What a date parameter accepts, published in the OpenAPI description: exactly the dates of the
# calendar (years 1-9999, 29 February only in leap years), so that a client or a fuzzer that keeps
# to the pattern never gets "bad date" (parse_date decides, and says so for anything else).
_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
ISO_DATE_PATTERN = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
DATE_PATTERN = f"^({ISO_DATE_PATTERN}|{'|'.join(DATE_WORDS)})$"
DATE_DESCRIPTION = "YYYY-MM-DD, or today, tomorrow or weekend (the coming Saturday) in the hut's time zone."


def get_pool(request: Request) -> ConnectionPool[psycopg.Connection[Any]]:
    pool: ConnectionPool[psycopg.Connection[Any]] = request.app.state.pool
    return pool


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_connection(
    pool: Annotated[ConnectionPool[psycopg.Connection[Any]], Depends(get_pool)],
) -> Iterator[psycopg.Connection[Any]]:
    """A read-only connection of the pool for one request; 503 when every connection is busy or
    the database is unavailable."""
    try:
        with pool.connection() as conn:
            yield conn
    except PoolTimeout as exc:
        raise ApiError(503, f"{exc}: retry later") from None
    except psycopg.OperationalError as exc:
        raise ApiError(503, f"database unavailable ({type(exc).__name__}): retry later") from None


Connection = Annotated[psycopg.Connection[Any], Depends(get_connection)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Now = Annotated[Clock, Depends(get_clock)]


def parse_night(text: str, settings: Settings, clock: Clock) -> dt.date:
    """A date in any accepted form; ApiError 400 naming the forms otherwise."""
    try:
        return parse_date(text, settings.zone, clock())
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def path_date(
    date: Annotated[str, Path(description=DATE_DESCRIPTION, json_schema_extra={"pattern": DATE_PATTERN})],
    settings: AppSettings,
    clock: Now,
) -> dt.date:
    return parse_night(date, settings, clock)


def path_slug(slug: Annotated[str, Path(description="The hut's slug.")]) -> str:
    """A slug as slugs are; 404 for anything else (no such hut can exist)."""
    if not SLUG.match(slug):
        raise UnknownHutError(slug)
    return slug


Night = Annotated[dt.date, Depends(path_date)]
Slug = Annotated[str, Depends(path_slug)]


def date_to(start: dt.date, days: int) -> dt.date:
    """The last date of `days` days from `start`, or the calendar's last (9999-12-31) when the
    range would leave it: a range the parameters' schema allows is answered, not refused."""
    if (dt.date.max - start).days < days - 1:
        return dt.date.max
    return date_range(start, None, days)[1]
