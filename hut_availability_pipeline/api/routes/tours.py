"""`/v1/tours`: the start dates on which a tour (huts in order, one night each) can be booked online
for a party, and the near misses (one night fails). The tour planner page shows the same answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...domain.tours import TourStart
from ...serving.deps import Connection
from ...serving.tours import MAX_WINDOW, TourQuery, tour_query
from ...storage import tours
from ..caching import CACHED_HEADERS, cached
from ..errors import ERRORS
from ..models import DAY_STATE_DESCRIPTION

router = APIRouter(prefix="/v1", tags=["tours"])


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
