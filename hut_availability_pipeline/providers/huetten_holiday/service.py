"""Hütten-Holiday over HTTP: an anonymous Laravel session, then one POST per cabin and month.

`HuettenHolidayService` opens a session with a GET (`/huts` sets the `XSRF-TOKEN` and session
cookies), then asks `POST /cabins/get-month-availability` month by month from the start date's
month, with the `X-XSRF-TOKEN` header (the cookie's value, URL-decoded), until the horizon (an
answer `[]`), the asked days, or `max_months`. Each answer is mapped by `parse.parse_month`.

A 419 ("CSRF token mismatch": the session expired or was dropped) renews the session once and asks
the same month again; a 419 again right after the new session fails the hut loudly (logged as an
error) and every later hut of the run without asking, since no session can be had: the site's
session protocol changed. (Sessions may expire again later in a run: each expiry is renewed once.)

Politeness is hut-reservation.org's (`providers.http`): request starts paced `request_interval`
apart, 403/429/5xx/timeouts retried per `retry`, a circuit breaker of its own, so a block of one
provider never slows the other. Not thread-safe: one instance per thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx
from hut_services.core.schema import TotalFallback

from ...domain.bookings import HutBookingsSchema, HutFetchResult, HutRef, Night, RejectedDay
from ...errors import ProviderError
from ..answers import ProviderAnswerError, decode_json
from ..http import CircuitBreaker, RequestFailure, RetryPolicy
from ..paced_service import PacedService
from .parse import Cabin, Month, parse_cabins, parse_month
from .site import (
    CABIN_LIST_PATH,
    DEFAULT_BASE_URL,
    DEFAULT_REQUEST_INTERVAL,
    MONTH_AVAILABILITY_PATH,
    SESSION_PATH,
    SOURCE,
    XSRF_COOKIE,
    booking_link,
)

__all__ = ["CSRF_MISMATCH", "DEFAULT_MAX_MONTHS", "CabinListError", "HuettenHolidayService"]

logger = logging.getLogger(__name__)

CSRF_MISMATCH = 419
"""Laravel's answer to a POST without a valid session and token ("CSRF token mismatch")."""
DEFAULT_MAX_MONTHS = 24
"""Months asked at most per hut when no `days` are given and the site never answers `[]`."""


class CabinListError(ProviderError, RuntimeError):
    """The cabin list could not be read; the message names the page and the problem."""


class HuettenHolidayService(PacedService):
    """Hütten-Holiday as a hut-services booking service, fetching one cabin month per request."""

    site = "Hütten-Holiday"
    base_url_setting = "HUETTEN_HOLIDAY_BASE_URL"
    others = "cabins"
    default_base_url = DEFAULT_BASE_URL
    default_request_interval = DEFAULT_REQUEST_INTERVAL

    def __init__(
        self,
        base_url: str | None = None,
        request_interval: float | None = None,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_months: int = DEFAULT_MAX_MONTHS,
    ) -> None:
        if max_months < 1:
            raise ValueError(f"max_months must be at least 1, got {max_months}")
        super().__init__(base_url, request_interval, timeout, retry, breaker, client, sleep, clock=clock, rng=rng)
        self.max_months = max_months
        self._token: str | None = None
        self._session_broken: str | None = None
        self._interval_now = self.request_interval
        self.sessions_opened = 0
        """How many anonymous sessions this service opened (1, plus one per renewal)."""

    # -- fetching

    def booking_link(self, hut: HutRef) -> str:
        """The hut's page on this service's site."""
        return booking_link(hut.slug, self.base_url)

    def get_bookings(
        self,
        date: dt.datetime | dt.date | Literal["now"] | None = None,
        days: int | None = None,
        source_ids: list[int | str] | None = None,
        lang: str = "de",
        request_interval: float | None = None,
        total_fallback: TotalFallback | Mapping[int | str, TotalFallback] | None = None,
    ) -> dict[int | str, HutBookingsSchema]:
        """hut-services' interface: bookings keyed by cabin id; cabins that fail are left out (logged).

        `source_ids` None means every cabin of the site's list. `date` None/"now" means today (UTC).
        `lang` and `total_fallback` are accepted for compatibility: every day gives its total.
        """
        if isinstance(date, dt.datetime):
            start = date.date()
        elif isinstance(date, dt.date):
            start = date
        else:
            start = dt.datetime.now(dt.UTC).date()
        ids = list(source_ids) if source_ids is not None else [c.cabin_id for c in self.cabins()]
        interval = self._interval(request_interval)
        result: dict[int | str, HutBookingsSchema] = {}
        for source_id in ids:
            text = str(source_id)
            hut = HutRef(
                hut_id=int(text) if text.isdigit() else 0, slug=f"hh-{text}", source=SOURCE, source_hut_id=text
            )
            fetched = self._fetch(hut, start, days, interval)
            if fetched.ok and fetched.bookings is not None:
                result[source_id] = fetched.bookings
            else:
                logger.warning("left out of get_bookings: %s", fetched.error)
        return result

    def cabins(self) -> list[Cabin]:
        """Every cabin of the site's list (all pages); `CabinListError` when a page cannot be read.
        Cabins that cannot be used are logged with their page and position and left out."""
        found: list[Cabin] = []
        page: int | None = 1
        while page is not None:
            answer = self._request("GET", CABIN_LIST_PATH, f"cabin list page {page}", params={"page": page})
            if isinstance(answer, RequestFailure):
                raise CabinListError(answer.message)
            try:
                parsed = parse_cabins(decode_json(answer.content), page)
            except ValueError as exc:  # ProviderAnswerError or undecodable JSON
                raise CabinListError(f"cabin list page {page} from {self.host}: {exc}") from exc
            for problem in parsed.problems:
                logger.warning("left out of the catalog: %s", problem)
            found.extend(parsed.cabins)
            page = parsed.next_page
        return found

    # -- internals

    def _fetch(self, hut: HutRef, start: dt.date, days: int | None, interval: float) -> HutFetchResult:
        if days is not None and days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        attempt = self._attempt(hut)
        failed = attempt.failed
        self._interval_now = interval
        hid = hut.source_hut_id

        if not hid.isdigit():
            return failed(
                f"cabin {hid!r} ({hut.slug}): not a Hütten-Holiday cabin id (expected digits); fix its source hut id",
                permanent=True,
            )
        if self._session_broken is not None:
            return failed(f"cabin {hid} ({hut.slug}): not asked, {self._session_broken}")
        end = start + dt.timedelta(days=days) if days is not None else None
        last_month = Month.of(end - dt.timedelta(days=1)) if end is not None else None
        month = Month.of(start)
        nights: list[Night] = []
        rejected: list[RejectedDay] = []
        received_at: dt.datetime | None = None
        renewed = False
        asked = 0
        while asked < self.max_months and (last_month is None or month <= last_month):
            if self._token is None and (problem := self._open_session(hut)) is not None:
                return failed(problem)
            selected = {"monthNumber": month.number, "year": month.year}
            body = {"cabinId": int(hid), "selectedMonth": selected, "multipleCalendar": False}
            headers = {"X-XSRF-TOKEN": self._token or "", "X-Requested-With": "XMLHttpRequest"}
            answer = self._request(
                "POST", MONTH_AVAILABILITY_PATH, f"cabin {hid} ({hut.slug}), month {month}", json=body, headers=headers
            )
            if isinstance(answer, RequestFailure):
                return failed(answer.message, permanent=answer.permanent)
            if answer.status_code == CSRF_MISMATCH:
                if renewed:
                    self._session_broken = (
                        f"the site answered 419 (CSRF token mismatch) again right after a new session"
                        f" (GET {SESSION_PATH} on {self.host}): the session protocol changed; update"
                        " providers/huetten_holiday/service.py"
                    )
                    logger.error("cabin %s (%s): %s", hid, hut.slug, self._session_broken)
                    return failed(f"cabin {hid} ({hut.slug}), month {month}: {self._session_broken}")
                logger.info("cabin %s, month %s: session expired (HTTP 419), opening a new one", hid, month)
                self._token = None
                renewed = True
                continue
            renewed = False  # the renewal (if any) worked: a later expiry may be renewed again
            received_at = received_at or dt.datetime.now(dt.UTC)
            try:
                payload = decode_json(answer.content)
            except ValueError as exc:
                kind = answer.headers.get("content-type", "no content-type")
                return failed(
                    f"cabin {hid} ({hut.slug}), month {month}: HTTP {answer.status_code} answer is not valid JSON"
                    f" ({exc}; {kind}, {len(answer.content)} bytes, starting {answer.text[:60]!r})"
                )
            try:
                month_nights, month_rejected = parse_month(payload, hut, month, start, end)
            except ProviderAnswerError as exc:
                return failed(str(exc), permanent=True)
            asked += 1
            if payload == []:
                if asked == 1:
                    return failed(
                        f"cabin {hid} ({hut.slug}): the site serves no day for {month}, the month of {start}"
                        " (an answer []): unknown cabin or no calendar; check its source hut id"
                    )
                break  # beyond the booking horizon
            nights.extend(month_nights)
            rejected.extend(RejectedDay(r.index, r.date or f"{month} #{r.index}", r.reason) for r in month_rejected)
            month = month.next()
        if rejected:
            first = rejected[0]
            logger.warning("cabin %s: %d day(s) rejected, first: %s: %s", hid, len(rejected), first.date, first.reason)
        span = days if days is not None else ((nights[-1].date - start).days + 1 if nights else 0)
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

    def _open_session(self, hut: HutRef) -> str | None:
        """GET the session page so that the site sets its cookies; the reason when it did not."""
        self._client.cookies.clear()
        answer = self._request("GET", SESSION_PATH, f"session for cabin {hut.source_hut_id}", accept="text/html")
        if isinstance(answer, RequestFailure):
            return answer.message
        cookie = self._client.cookies.get(XSRF_COOKIE)
        if not cookie:
            self._session_broken = (
                f"GET {SESSION_PATH} on {self.host} answered HTTP {answer.status_code} without an {XSRF_COOKIE}"
                " cookie, so no request can carry a token: the session protocol changed; update"
                " providers/huetten_holiday/service.py"
            )
            logger.error("%s", self._session_broken)
            return self._session_broken
        self._token = urllib.parse.unquote(cookie)
        self.sessions_opened += 1
        return None

    def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> httpx.Response | RequestFailure:
        """One paced request with retries and the breaker: a 2xx or 419 answer, else why not."""
        return self._http.request(
            method,
            f"{self.base_url}{path}",
            what,
            interval=self._interval_now,
            endpoint=path,
            not_found=lambda: f"{what}: HTTP 404 from {path} on {self.host}; check the cabin id",
            takes=lambda status: 200 <= status < 300 or status == CSRF_MISMATCH,
            params=params,
            json=json,
            headers={**self.headers, "Accept": accept, **(headers or {})},
        )
