"""The TMB refuges over HTTP: one paced GET per refuge and window of 30 nights.

`TmbService` asks the planning call window by window from the start date (each answer gives 30
nights from the night 15 days before the date asked), skipping windows wholly outside the refuges'
season (`site.SEASON`), until the asked days or `horizon_days` (default a year). Each answer is
mapped by `parse.parse_planning`; an unreadable answer fails that refuge only, with a message
naming it. Politeness is the other providers' (`providers.http`): request starts paced
`request_interval` apart, 403/429/5xx/timeouts retried, a circuit breaker of its own (persisted per
source by the engine). Not thread-safe: one instance per thread.
"""

from __future__ import annotations

import datetime as dt
import logging

from ...domain.bookings import HutFetchResult, HutRef, Night, RejectedDay
from ..answers import ProviderAnswerError
from ..http import RequestFailure
from ..paced_service import PacedService
from .parse import parse_planning
from .site import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUEST_INTERVAL,
    NIGHTS_PER_ANSWER,
    PLANNING_PATH,
    SOURCE,
    booking_link,
    in_season,
    planning_url,
)

__all__ = ["DEFAULT_HORIZON_DAYS", "TmbService", "windows"]

logger = logging.getLogger(__name__)

DEFAULT_HORIZON_DAYS = 365
"""Nights asked when the caller gives no number of days: refuges sell about a year ahead."""


def windows(start: dt.date, days: int, *, season_only: bool = True) -> list[dt.date]:
    """The first nights of the 30-night windows that cover [start, start + days), without those
    wholly outside the season when `season_only`."""
    firsts = [start + dt.timedelta(days=k) for k in range(0, days, NIGHTS_PER_ANSWER)]
    if not season_only:
        return firsts
    last = start + dt.timedelta(days=days - 1)
    return [f for f in firsts if in_season(f, min(f + dt.timedelta(days=NIGHTS_PER_ANSWER - 1), last))]


class TmbService(PacedService):
    """The TMB refuges' booking backend as a hut-services booking service (one refuge at a time)."""

    site = "TMB refuges"
    base_url_setting = "TMB_BASE_URL"
    others = "refuges"
    default_base_url = DEFAULT_BASE_URL
    default_request_interval = DEFAULT_REQUEST_INTERVAL
    accept = "application/javascript, application/json, */*"
    horizon_days = DEFAULT_HORIZON_DAYS
    """Nights asked when the caller gives no number of days."""
    season_only = True
    """Ask only the 30-night windows that touch the season (`site.SEASON`)."""

    def booking_link(self, hut: HutRef) -> str:
        return booking_link(hut.source_hut_id)

    def _fetch(self, hut: HutRef, start: dt.date, days: int | None, interval: float) -> HutFetchResult:
        if days is not None and days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        attempt = self._attempt(hut)
        failed = attempt.failed
        hid = hut.source_hut_id

        if hut.source != SOURCE:
            return failed(
                f"refuge {hid} ({hut.slug}) is a {hut.source} hut, not a TMB refuge: not asked", permanent=True
            )
        if not hid.isdigit():
            return failed(f"refuge {hid!r} ({hut.slug}): not a TMB refuge id (expected digits); fix its source hut id",
                          permanent=True)  # fmt: skip
        span = days if days is not None else self.horizon_days
        end = start + dt.timedelta(days=span)
        nights: list[Night] = []
        rejected: list[RejectedDay] = []
        received_at: dt.datetime | None = None
        for first in windows(start, span, season_only=self.season_only):
            what = f"refuge {hid} ({hut.slug}), nights from {first.isoformat()}"
            answer = self._http.request(
                "GET",
                planning_url(self.base_url, hid, first),
                what,
                interval=interval,
                endpoint="json-planning-refuge",
                not_found=lambda: f"refuge {hid} ({hut.slug}): HTTP 404 from {PLANNING_PATH} on {self.host}",
                headers=self.headers,
            )
            if isinstance(answer, RequestFailure):
                return failed(answer.message, permanent=answer.permanent)
            received_at = received_at or dt.datetime.now(dt.UTC)
            try:
                window_nights, window_rejected = parse_planning(answer.content, hut, first, start, end)
            except ProviderAnswerError as exc:
                return failed(str(exc), permanent=True)
            nights.extend(window_nights)
            rejected.extend(window_rejected)
        if rejected:
            first_bad = rejected[0]
            logger.warning(
                "refuge %s: %d night(s) rejected, first: %s: %s", hid, len(rejected), first_bad.date, first_bad.reason
            )
        return HutFetchResult(
            hut=hut,
            received_at=received_at or dt.datetime.now(dt.UTC),
            nights=nights,
            start_date=start,
            days=span,
            link=self.booking_link(hut),
            rejected_days=rejected,
            requests=attempt.requests,
            seconds=attempt.seconds,
        )
