"""`/v1/tours`: the start dates on which a tour (huts in order, one night each) can be booked online
for a party, and the near misses (one night fails). The tour planner page shows the same answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...domain.dates import today_in
from ...domain.tours import TourStart
from ...serving.deps import DATE_PATTERN, SLUG, AppSettings, Connection, Now, parse_night
from ...serving.errors import ApiError
from ...storage import tours
from ..caching import CACHED_HEADERS, cached
from ..errors import ERRORS
from ..models import DAY_STATE_DESCRIPTION

MAX_HUTS = 14
_SLUG = SLUG.pattern.strip("^$")
HUTS_PATTERN = f"^{_SLUG}(,{_SLUG}){{0,{MAX_HUTS - 1}}}$"
MAX_WINDOW = 92  # start dates: a summer
DEFAULT_WINDOW = 30

router = APIRouter(prefix="/v1", tags=["tours"])


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


Tour = Annotated[TourQuery, Depends(tour_query)]


class TourHut(BaseModel):
    slug: str
    name: str
    source: str | None = Field(None, description="The hut's booking system: a tour may mix them.")


class TourNight(BaseModel):
    """A night of a tour: the hut, the date and its current state."""

    hut: str = Field(description="The hut's slug.")
    date: dt.date
    day_state: str | None = Field(description=DAY_STATE_DESCRIPTION + " null: never checked.")
    free: int | None
    total: int | None
    fits: bool = Field(description="Whether the party can book it online: bookable with at least `party` free.")
    link: str | None = Field(description="Where to book the night (the source's page), if known.")


class TourDate(BaseModel):
    """A start date and the tour's nights from it."""

    start: dt.date
    end: dt.date = Field(description="The morning after the last night.")
    nights: list[TourNight]


class TourAnswer(BaseModel):
    """Every start date from `from` to `to` (both included) on which hut i has at least `party`
    places bookable online on night start + i (winter-room places never count), and apart from them
    the near misses: the start dates on which exactly one night does not fit."""

    huts: list[TourHut]
    party: int
    date_from: dt.date = Field(alias="from", serialization_alias="from")
    date_to: dt.date = Field(alias="to", serialization_alias="to", description="The last start date answered.")
    cut: bool = Field(description=f"Whether the `to` asked for was cut to {MAX_WINDOW} start dates.")
    tours: list[TourDate]
    near_misses: list[TourDate]


def _date(start: TourStart) -> TourDate:
    return TourDate(
        start=start.start,
        end=start.end,
        nights=[
            TourNight(
                hut=n.slug,
                date=n.night,
                day_state=n.state.day_state if n.state else None,
                free=n.state.free if n.state else None,
                total=n.state.total if n.state else None,
                fits=n.fits,
                link=n.state.link if n.state else None,
            )
            for n in start.nights
        ],
    )


def answer(tour: tours.Tour, q: TourQuery) -> TourAnswer:
    return TourAnswer.model_validate(
        {
            "huts": [TourHut(slug=h.slug, name=h.name, source=h.source) for h in tour.huts],
            "party": q.party,
            "from": q.first,
            "to": q.last,
            "cut": q.cut,
            "tours": [_date(s) for s in tour.plan.fits],
            "near_misses": [_date(s) for s in tour.plan.near_misses],
        }
    )


@router.get(
    "/tours",
    response_model=TourAnswer,
    response_model_by_alias=True,
    responses={**ERRORS, 200: {"headers": CACHED_HEADERS}},
    summary="Start dates on which a tour can be booked",
    description=(
        "A tour is huts in order, one night each: hut 1 on the start night, hut 2 on the next, and so on "
        "(a hut may come twice; the huts may use different booking systems). For every start date from "
        "`from` to `to` (both included) the answer says whether each night has at least `party` places "
        "bookable online (day state `bookable`; winter-room places never count). `tours`: the start "
        "dates on which every night fits, with each night's free places and booking link. `near_misses`: "
        "the start dates on which exactly one night does not fit (its `fits` is false). Example: "
        "`/v1/tours?huts=a,b,c&party=3&from=2027-07-01&to=2027-08-31`."
    ),
)
def tours_route(request: Request, conn: Connection, q: Tour) -> Response:
    tour = tours.plan(conn, q.huts, q.party, q.first, q.last)
    return cached(request, answer(tour, q).model_dump_json(by_alias=True).encode(), tour.last_checked)
