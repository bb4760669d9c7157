"""A tour's query (huts in order, party size, window of start dates) from the query string,
shared by the API's `/v1/tours` and the web front end's tour planner page: one parser, one
published description of the parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from ..domain.dates import today_in
from .deps import DATE_PATTERN, SLUG, AppSettings, Now, parse_night
from .errors import ApiError

MAX_HUTS = 14
_SLUG = SLUG.pattern.strip("^$")
HUTS_PATTERN = f"^{_SLUG}(,{_SLUG}){{0,{MAX_HUTS - 1}}}$"
MAX_WINDOW = 92  # start dates: a summer
DEFAULT_WINDOW = 30


@dataclass(frozen=True)
class TourQuery:
    """A tour's parameters, checked: slugs in order, party size, first and last start date."""

    huts: list[str]
    party: int
    first: dt.date
    last: dt.date  # before `first`: no start date (the window asked for is empty)
    cut: bool = False  # `to` was later than the last start date answered


def tour_query(
    settings: AppSettings,
    clock: Now,
    huts: Annotated[
        str,
        Query(
            description=f"The huts' slugs in the order of the tour, separated by commas (1 to {MAX_HUTS}).",
            pattern=HUTS_PATTERN,
        ),
    ],
    party: Annotated[int, Query(ge=1, le=1000, description="How many people: places each night needs.")] = 1,
    date_from: Annotated[
        str | None,
        Query(
            alias="from",
            description="The first start date (YYYY-MM-DD, today, tomorrow or weekend); default today.",
            json_schema_extra={"pattern": DATE_PATTERN},
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            alias="to",
            description=f"The last start date, included; default {DEFAULT_WINDOW - 1} days after `from`. At most"
            f" {MAX_WINDOW} start dates are answered: a later `to` is cut (the answer's `to` and `cut` say so);"
            " a `to` before `from` has no start date.",
            json_schema_extra={"pattern": DATE_PATTERN},
        ),
    ] = None,
) -> TourQuery:
    slugs = [s.strip() for s in huts.split(",") if s.strip()]
    if not slugs:
        raise ApiError(400, "huts: give at least one hut's slug (huts=a,b,c)")
    if len(slugs) > MAX_HUTS:
        raise ApiError(400, f"huts: at most {MAX_HUTS} huts in a tour, not {len(slugs)}")
    bad = [s for s in slugs if not SLUG.match(s)]
    if bad:
        raise ApiError(404, f"no hut with slug {', '.join(map(repr, bad))}")
    first = parse_night(date_from, settings, clock) if date_from else today_in(settings.zone, clock())
    asked = parse_night(date_to, settings, clock) if date_to else None
    # at most MAX_WINDOW start dates, and none whose tour would end after the calendar's last day
    latest = min(
        dt.date.max - dt.timedelta(days=len(slugs) - 1),
        first + min(dt.timedelta(days=MAX_WINDOW - 1), dt.date.max - first),
    )
    default = first + min(dt.timedelta(days=DEFAULT_WINDOW - 1), dt.date.max - first)
    last = min(asked or default, latest)
    return TourQuery(slugs, party, first, last, cut=asked is not None and asked > latest)
