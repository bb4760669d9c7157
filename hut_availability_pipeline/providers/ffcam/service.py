"""The FFCAM central booking over HTTP: one paced form POST per refuge gives its booking year.

`FfcamService` POSTs the availability form (`site.availability_form`) to `/index.php` and maps the
HTML page with `parse.parse_availability_page`. A page without the availability script fails that
refuge only, with a message naming it (never a row of zeros). Politeness is the other providers'
(`providers.http`): paced, retried, its own circuit breaker. Not thread-safe: one per thread.
"""

from __future__ import annotations

import datetime as dt
import logging

from ...domain.bookings import HutFetchResult, HutRef
from ..answers import ProviderAnswerError
from ..http import RequestFailure
from ..paced_service import PacedService
from .parse import parse_availability_page
from .site import (
    AVAILABILITY_PATH,
    DEFAULT_BASE_URL,
    DEFAULT_REQUEST_INTERVAL,
    SOURCE,
    availability_form,
    booking_link,
)

__all__ = ["DEFAULT_HORIZON_DAYS", "FfcamService"]

logger = logging.getLogger(__name__)

DEFAULT_HORIZON_DAYS = 366
"""Nights kept when the caller gives no number of days: the widget books 365 days ahead."""


class FfcamService(PacedService):
    """The FFCAM central booking as a hut-services booking service (one refuge per request)."""

    site = "FFCAM"
    base_url_setting = "FFCAM_BASE_URL"
    others = "refuges"
    default_base_url = DEFAULT_BASE_URL
    default_request_interval = DEFAULT_REQUEST_INTERVAL
    accept = "text/html"

    def booking_link(self, hut: HutRef) -> str:
        return booking_link(hut.source_hut_id, self.base_url)

    def _fetch(self, hut: HutRef, start: dt.date, days: int | None, interval: float) -> HutFetchResult:
        if days is not None and days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        attempt = self._attempt(hut)
        failed = attempt.failed
        hid = hut.source_hut_id

        if hut.source != SOURCE:
            return failed(
                f"refuge {hid} ({hut.slug}) is a {hut.source} hut, not an FFCAM refuge: not asked", permanent=True
            )
        if not hid.isdigit():
            return failed(
                f"refuge {hid!r} ({hut.slug}): not an FFCAM structure id (n of BK_STRUCTURE:n); fix its source hut id",
                permanent=True,
            )
        span = days if days is not None else DEFAULT_HORIZON_DAYS
        answer = self._http.request(
            "POST",
            f"{self.base_url}{AVAILABILITY_PATH}",
            f"refuge {hid} ({hut.slug})",
            interval=interval,
            endpoint="availability",
            not_found=lambda: f"refuge {hid} ({hut.slug}): HTTP 404 from {AVAILABILITY_PATH} on {self.host}",
            data=availability_form(hid),
            headers=self.headers,
        )
        if isinstance(answer, RequestFailure):
            return failed(answer.message, permanent=answer.permanent)
        received_at = dt.datetime.now(dt.UTC)
        try:
            nights, rejected = parse_availability_page(answer.content, hut, start, start + dt.timedelta(days=span))
        except ProviderAnswerError as exc:
            return failed(str(exc))
        if rejected:
            first = rejected[0]
            logger.warning(
                "refuge %s: %d date(s) rejected, first: %s: %s", hid, len(rejected), first.date, first.reason
            )
        return HutFetchResult(
            hut=hut,
            received_at=received_at,
            nights=nights,
            start_date=start,
            days=span,
            link=self.booking_link(hut),
            rejected_days=rejected,
            requests=attempt.requests,
            seconds=attempt.seconds,
        )
