"""Facts of the Tour du Mont Blanc refuges' booking backend (montourdumontblanc.com, served by
etape-rest.for-system.com): its source slug, address, planning call, season and booking page."""

from __future__ import annotations

import datetime as dt

from ..registry import PROVIDERS

__all__ = [
    "BOOKING_SITE",
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "NIGHTS_BEFORE_ASKED",
    "NIGHTS_PER_ANSWER",
    "PLANNING_PATH",
    "SEASON",
    "SOURCE",
    "booking_link",
    "in_season",
    "planning_url",
    "site_url",
]

SOURCE = "tmb"
DEFAULT_BASE_URL = PROVIDERS["tmb"].default_base_url
BOOKING_SITE = "https://www.montourdumontblanc.com"
DEFAULT_REQUEST_INTERVAL = PROVIDERS["tmb"].default_request_interval

PLANNING_PATH = "/index.aspx/index.aspx"
"""The planning call really has `index.aspx` twice: `?ref=json-planning-refuge&q={refuge id},{date}`."""
NIGHTS_PER_ANSWER = 30
NIGHTS_BEFORE_ASKED = 15
"""An answer lists 30 nights, the first 15 days before the date asked: asking D+15 gives D .. D+29."""

SEASON = ((5, 15), (10, 15))
"""(month, day) of the first and last night any TMB refuge is open. The refuges are summer huts:
the real 2024 data has nights from June on; the earliest open in late May, the last close by early
October. Windows of 30 nights wholly outside this span are not asked: a year's horizon costs 6
calls per refuge instead of 13."""


def site_url(base_url: str) -> str:
    """The backend root without a trailing slash."""
    return base_url.strip().rstrip("/")


def planning_url(base_url: str, refuge_id: str, first_night: dt.date) -> str:
    """The planning call whose answer starts at `first_night` (it asks 15 days later). The query
    is written as the public clients send it (a literal comma between id and date)."""
    asked = first_night + dt.timedelta(days=NIGHTS_BEFORE_ASKED)
    return f"{site_url(base_url)}{PLANNING_PATH}?ref=json-planning-refuge&q={refuge_id},{asked.isoformat()}"


def in_season(first: dt.date, last: dt.date) -> bool:
    """Whether the nights first .. last (inclusive) touch a season (`SEASON`) of any year."""
    (m0, d0), (m1, d1) = SEASON
    for year in range(first.year, last.year + 1):
        if dt.date(year, m0, d0) <= last and first <= dt.date(year, m1, d1):
            return True
    return False


def booking_link(source_hut_id: str) -> str:
    """Where a person books a refuge: montourdumontblanc.com's booking page, which chooses refuges
    by stage (the site has no public per-refuge address that we know of; the refuge id is kept
    in the query so the link names the refuge)."""
    return f"{BOOKING_SITE}/?refuge={source_hut_id}"
