"""The read side of the tour planner: the tour's huts and their nights' states in a window,
planned by `domain.tours.plan_tour` (two named queries, `sql/queries/read_tour*.sql`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from ..domain.tours import NightState, TourPlan, plan_tour
from .read_models import UnknownHutError
from .sqlfiles import query


@dataclass(frozen=True)
class TourHut:
    """A hut of a tour: its slug, name, booking system (source) and whether it is still served."""

    slug: str
    name: str
    source: str | None
    is_active: bool


@dataclass(frozen=True)
class Tour:
    """The huts of a tour in order (a hut may come twice), its plan, and the newest check of the
    nights it read (None: no night stored)."""

    huts: list[TourHut]
    plan: TourPlan
    last_checked: dt.datetime | None = None


def plan(conn: psycopg.Connection[Any], slugs: Sequence[str], party: int, first: dt.date, last: dt.date) -> Tour:
    """The plan of the tour through `slugs` (in order) for `party` people starting from `first`
    to `last` (both included); UnknownHutError names the first slug of no hut."""
    wanted = list(dict.fromkeys(slugs))
    huts = {
        h.slug: h
        for h in conn.cursor(row_factory=class_row(TourHut)).execute(query("read_tour_huts"), {"slugs": wanted})
    }
    unknown = [s for s in wanted if s not in huts]
    if unknown:
        raise UnknownHutError(unknown[0])
    stay = dt.timedelta(days=len(slugs) - 1)
    last_night = dt.date.max if dt.date.max - last < stay else last + stay
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(query("read_tour"), {"slugs": wanted, "date_from": first, "date_to": last_night})
        .fetchall()
    )
    nights = {
        (r["slug"], r["availability_date"]): NightState(r["day_state"], r["free"], r["total"], r["link"]) for r in rows
    }
    checked = max((r["last_checked"] for r in rows), default=None)
    return Tour([huts[s] for s in slugs], plan_tour(slugs, nights, party, first, last), checked)


@dataclass(frozen=True)
class CatalogHut:
    """An active hut as the planner's search offers it."""

    slug: str
    name: str
    source: str | None


def catalog(conn: psycopg.Connection[Any]) -> list[CatalogHut]:
    """The active huts by name, for picking a tour's huts."""
    return conn.cursor(row_factory=class_row(CatalogHut)).execute(query("read_tour_catalog")).fetchall()
