"""hut-reservation.org over HTTP: `HutReservationService` fetches huts one at a time with pacing,
retries and a circuit breaker, and maps each answer with `parse.parse_availability`.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
import zoneinfo
from collections.abc import Mapping
from typing import Literal

import httpx
from hut_services.core.schema import TotalFallback

from ...domain.bookings import HutBookingsSchema, HutFetchResult, HutRef, Night
from ..answers import ProviderAnswerError, decode_json
from ..http import RequestFailure
from ..paced_service import PacedService
from .parse import parse_availability
from .site import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUEST_INTERVAL,
    DEFAULT_TIMEZONE,
    SOURCE,
    booking_link,
    catalog_hut_ids,
    hut_ref_for,
)
from .site import site_url as _site_url

OWN_SOURCES = frozenset({"hrs", SOURCE})
"""Booking-source slugs of this provider's huts: the catalog's `hrs`, and SOURCE for bare ids."""

__all__ = ["HutReservationService"]

logger = logging.getLogger(__name__)


def _source_key(hut: HutRef) -> int | str:
    return int(hut.source_hut_id) if hut.source_hut_id.isdigit() else hut.source_hut_id


class HutReservationService(PacedService):
    """hut-reservation.org as a hut-services booking service, fetching one hut per request.

    Politeness: request starts are paced `request_interval` apart; 403/429/5xx, timeouts and
    connection errors are retried per `retry`; `breaker` cools the client down after repeated
    blocks. Not thread-safe: use one instance per thread.
    """

    site = "hut-reservation.org"
    base_url_setting = "HRS_BASE_URL"
    others = "huts"
    default_base_url = DEFAULT_BASE_URL
    default_request_interval = DEFAULT_REQUEST_INTERVAL
    site_root = staticmethod(_site_url)

    @property
    def api_url(self) -> str:
        """The site's API root."""
        return f"{self.base_url}/api/v1"

    # -- fetching

    def booking_link(self, hut: HutRef) -> str:
        """The hut's booking page on this service's site."""
        return booking_link(hut.source_hut_id, self.base_url)

    def get_bookings(
        self,
        date: dt.datetime | dt.date | Literal["now"] | None = None,
        days: int | None = None,
        source_ids: list[int | str] | None = None,
        lang: str = "de",
        request_interval: float | None = None,
        total_fallback: TotalFallback | Mapping[int | str, TotalFallback] | None = None,
    ) -> dict[int | str, HutBookingsSchema]:
        """hut-services' interface: bookings keyed by source id; huts that fail are left out (logged).

        `date` None/"now" means today in Europe/Zurich; `days` None means every day the site serves; `source_ids` None
        means every hut of the packaged catalog. `lang` is accepted for compatibility: the
        availability answer has no text to translate.
        """
        start = _start_date(date)
        span = days
        if span is not None and span < 1:
            raise ValueError(f"days must be at least 1, got {span}")
        ids: list[int | str] = list(source_ids) if source_ids is not None else list(catalog_hut_ids())
        interval = self._interval(request_interval)
        result: dict[int | str, HutBookingsSchema] = {}
        for source_id in ids:
            hut = hut_ref_for(source_id)
            fallback = _fallback_for(total_fallback, source_id, hut)
            fetched = self._fetch(hut, start, span, interval, fallback)
            if fetched.ok and fetched.bookings is not None:
                result[source_id] = fetched.bookings
            else:
                logger.warning("left out of get_bookings: %s", fetched.error)
        return result

    # -- internals

    def _fetch(
        self,
        hut: HutRef,
        start: dt.date,
        days: int | None,
        interval: float,
        total_fallback: TotalFallback | None = None,
    ) -> HutFetchResult:
        if days is not None and days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        attempt = self._attempt(hut)
        began, requests_before, failed = attempt.began, attempt.requests_before, attempt.failed

        hid = hut.source_hut_id
        if hut.source not in OWN_SOURCES:
            return failed(
                f"hut {hid} ({hut.slug}) is a {hut.source} hut, not hut-reservation.org's (ids overlap): not asked;"
                " fetch it with its own provider (providers.registry)",
                permanent=True,
            )
        if not hid.isdigit():
            return failed(
                f"hut {hid!r} ({hut.slug}): not a hut-reservation.org hut id (expected digits); fix its source hut id",
                permanent=True,
            )
        answer = self._http.request(
            "GET",
            f"{self.api_url}/reservation/getHutAvailability",
            f"hut {hid} ({hut.slug})",
            interval=interval,
            endpoint="getHutAvailability",
            not_found=lambda: (
                f"hut {hid} unknown to the provider (HTTP 404); check the source hut id of {hut.slug}"
                f" (asked {self.host})"
            ),
            params={"hutId": hid},
            headers=self.headers,
        )
        attempts = self._http.requests - requests_before
        if isinstance(answer, RequestFailure):
            return failed(answer.message, permanent=answer.permanent)
        received_at = dt.datetime.now(dt.UTC)
        return self._mapped(hut, answer, start, days, total_fallback, received_at, attempts, began)

    @property
    def host(self) -> str:
        """The host (and port, if given) of the site, as messages name it."""
        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url

    def _mapped(
        self,
        hut: HutRef,
        response: httpx.Response,
        start: dt.date,
        days: int | None,
        total_fallback: TotalFallback | None,
        received_at: dt.datetime,
        attempts: int,
        began: float,
    ) -> HutFetchResult:
        """Turn a 2xx answer into a fetch result (or an error naming what was wrong with it)."""
        result = HutFetchResult(hut=hut, received_at=received_at, requests=attempts)
        link = self.booking_link(hut)
        try:
            payload = decode_json(response.content)
        except ValueError as exc:
            kind = response.headers.get("content-type", "no content-type")
            result.error = (
                f"hut {hut.source_hut_id} ({hut.slug}): HTTP {response.status_code} answer is not valid JSON"
                f" ({exc}; {kind}, {len(response.content)} bytes, starting {response.text[:60]!r})"
            )
        else:
            try:
                nights, rejected = parse_availability(payload, hut, start, days, total_fallback=total_fallback)
            except ProviderAnswerError as exc:
                result.error = str(exc)
                self.permanent_failures.add(hut.source_hut_id)  # the same answer again would fail the same way
            else:
                result.nights = nights
                result.start_date = start
                result.days = days if days is not None else _days_spanned(start, nights)
                result.link = link
                result.rejected_days = rejected
                if rejected:
                    first = rejected[0]
                    logger.warning(
                        "hut %s: %d day(s) rejected, first: entry #%d (%s): %s",
                        hut.source_hut_id,
                        len(rejected),
                        first.index,
                        first.date,
                        first.reason,
                    )
        if result.error:
            logger.info("fetch failed: %s", result.error)
        result.seconds = self._clock() - began
        return result


def _days_spanned(start: dt.date, nights: list[Night]) -> int:
    """How many days from `start` the nights reach (nights are sorted by date)."""
    return (nights[-1].date - start).days + 1 if nights else 0


def _start_date(date: dt.datetime | dt.date | str | None) -> dt.date:
    """The first availability date: None/"now" → today in Europe/Zurich; a datetime → its Zurich date."""
    zone = zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)
    if date is None or date == "now":
        return dt.datetime.now(zone).date()
    if isinstance(date, dt.datetime):
        return date.astimezone(zone).date() if date.tzinfo is not None else date.date()
    if isinstance(date, dt.date):
        return date
    raise ValueError(f"date must be a date, a datetime, 'now' or None, got {date!r}")


def _fallback_for(
    total_fallback: TotalFallback | Mapping[int | str, TotalFallback] | None,
    source_id: int | str,
    hut: HutRef,
) -> TotalFallback | None:
    """The caller's fallback totals for one hut (one for all, or looked up by id or slug)."""
    if total_fallback is None or isinstance(total_fallback, TotalFallback):
        return total_fallback
    for key in (source_id, str(source_id), _source_key(hut), hut.slug):
        if key in total_fallback:
            return total_fallback[key]
    return None
