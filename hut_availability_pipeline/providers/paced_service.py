"""What every booking site's service shares: hut-services' `BaseService` over one paced HTTP client.

A provider's service subclasses `PacedService` and implements `_fetch` (one hut, mapped by its own
parser) and `booking_link`; construction (pacing, retries, circuit breaker, the HTTP client and
who owns it), closing, `fetch_hut` and the streaming `iter_bookings` are the same for all.
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
import random
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx
from hut_services import BaseService

from ..domain.bookings import HutFetchResult, HutRef
from .http import CircuitBreaker, PacedClient, Pacer, RetryPolicy, user_agent

logger = logging.getLogger(__name__)

__all__ = ["PacedService"]


class PacedService(BaseService[Any], abc.ABC):
    """A booking site as a hut-services service: request starts paced `request_interval` apart;
    403/429/5xx, timeouts and connection errors retried per `retry`; `breaker` cools the client
    down after repeated blocks. Not thread-safe: use one instance per thread.

    A site's service says what differs in class attributes: `site` names the provider in messages,
    `base_url_setting` the variable that sets its address, `others` what else is not asked while
    the breaker is open ("huts", "cabins"), `default_base_url` and `default_request_interval` its
    defaults (from the provider registry), `accept` the answers it reads; `site_root` normalizes a
    given address. Every service is built with the same arguments.
    """

    site: ClassVar[str]
    base_url_setting: ClassVar[str]
    others: ClassVar[str]
    default_base_url: ClassVar[str]
    default_request_interval: ClassVar[float]
    accept: ClassVar[str] = "application/json"

    @staticmethod
    def site_root(base_url: str) -> str:
        """The site's root as requests are built from it: without a trailing slash."""
        return base_url.strip().rstrip("/")

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
    ) -> None:
        """`base_url`: the site's root (default: the site itself); `request_interval`: seconds
        between request starts (default: the site's)."""
        base_url = self.site_root(base_url or self.default_base_url)
        if request_interval is None:
            request_interval = self.default_request_interval
        super().__init__(support_booking=True)
        self.request_interval = self._checked_interval(request_interval)
        self.base_url = base_url
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.headers = {"User-Agent": user_agent(), "Accept": self.accept}
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._clock = clock
        self._http = PacedClient(
            client=self._client,
            host=self.host,
            site=self.site,
            setting=f"{self.base_url_setting} ({base_url})",
            others=self.others,
            retry=self.retry,
            breaker=self.breaker,
            pacer=Pacer(clock, sleep),
            sleep=sleep,
            rng=rng or random.Random(),
            timeout=timeout,
        )
        self.permanent_failures: set[str] = set()
        """Source hut ids whose last fetch failed in a way no retry mends (HTTP 404 and other 4xx,
        a bad id, an unusable answer): callers do not retry them soon."""

    def _attempt(self, hut: HutRef) -> FetchAttempt:
        """Start one hut's fetch: from now on its failures are reported with the requests and time
        it took; a hut that failed for good before gets another chance."""
        self.permanent_failures.discard(hut.source_hut_id)
        return FetchAttempt(self, hut, self._clock(), self._http.requests)

    # -- lifecycle

    def close(self) -> None:
        """Close the HTTP client if this service created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def host(self) -> str:
        """The host (and port, if given) of the site, as messages name it."""
        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url

    # -- fetching

    @abc.abstractmethod
    def booking_link(self, hut: HutRef) -> str:
        """Where a person books the hut on this site."""

    @abc.abstractmethod
    def _fetch(self, hut: HutRef, start: dt.date, days: int | None, interval: float) -> HutFetchResult:
        """Fetch and map one hut, paced `interval` after the previous request; trouble ends up in
        the result's `error`, never raised."""

    def fetch_hut(self, hut: HutRef, start: dt.date, days: int | None = None) -> HutFetchResult:
        """Fetch and map one hut; provider trouble ends up in `error`, never raised."""
        return self._fetch(hut, start, days, self.request_interval)

    def iter_bookings(
        self,
        huts: Iterable[HutRef],
        start: dt.date,
        days: int | None = None,
        request_interval: float | None = None,
    ) -> Iterator[HutFetchResult]:
        """Fetch huts one at a time and yield each result as it arrives (streaming, bounded memory).

        Request starts are kept `request_interval` (default: the service's) apart, counting the
        consumer's time between yields, so storing one hut overlaps the wait for the next.
        """
        interval = self._interval(request_interval)
        for hut in huts:
            yield self._fetch(hut, start, days, interval)

    def _interval(self, request_interval: float | None) -> float:
        """`request_interval`, or the service's when None; never negative."""
        return self.request_interval if request_interval is None else self._checked_interval(request_interval)

    @staticmethod
    def _checked_interval(interval: float) -> float:
        if interval < 0:
            raise ValueError(f"request_interval must not be negative, got {interval}")
        return interval


@dataclass(frozen=True)
class FetchAttempt:
    """One hut's fetch by a `PacedService`: when it began and how many requests the service had
    made before, so a failure reports what this hut cost."""

    service: PacedService
    hut: HutRef
    began: float
    requests_before: int

    @property
    def requests(self) -> int:
        """Requests made for this hut so far (retries included)."""
        return self.service._http.requests - self.requests_before

    @property
    def seconds(self) -> float:
        """Time spent on this hut so far."""
        return self.service._clock() - self.began

    def failed(self, message: str, *, permanent: bool = False) -> HutFetchResult:
        """The hut's result when its fetch failed (`permanent`: no retry mends it, e.g. a bad id)."""
        logger.info("fetch failed: %s", message)
        if permanent:
            self.service.permanent_failures.add(self.hut.source_hut_id)
        return HutFetchResult(
            hut=self.hut,
            received_at=dt.datetime.now(dt.UTC),
            error=message,
            requests=self.requests,
            seconds=self.seconds,
        )
