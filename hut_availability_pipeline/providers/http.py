"""Politeness machinery for HTTP providers: request pacing, retry with backoff, circuit breaker.

Kept apart from the hut-reservation.org mapping so each piece is small and testable alone. None of
these classes is thread-safe: use one provider instance (and so one pacer and breaker) per thread.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import importlib.metadata
import logging
import random
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

__all__ = [
    "BLOCK_STATUSES",
    "RETRYABLE_ERRORS",
    "CircuitBreaker",
    "PacedClient",
    "Pacer",
    "RequestFailure",
    "RetryPolicy",
    "is_retryable_status",
    "parse_retry_after",
    "unreachable_reason",
    "user_agent",
]

logger = logging.getLogger(__name__)

BLOCK_STATUSES = frozenset({403, 429})
"""Statuses the site's firewall answers bursts with: retried, and counted by the circuit breaker."""


RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""Network trouble that may pass; other httpx errors (bad URL, unsupported protocol) will not."""


def is_retryable_status(status: int) -> bool:
    """403/429 (firewall) and 5xx (server trouble) may pass; other 4xx will not, so never retry them."""
    return status in BLOCK_STATUSES or 500 <= status <= 599


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one request.

    Delay before retry n (n = 1 after the first failed attempt) is "full jitter" exponential
    backoff: uniform in [0, min(max_delay, base_delay * 2**(n-1))], so many clients blocked at
    once do not come back in lockstep. `jitter=False` uses the upper bound itself (deterministic).
    A Retry-After header, when present, replaces the computed delay.
    """

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(
                f"RetryPolicy delays must not be negative (base_delay={self.base_delay}, max_delay={self.max_delay})"
            )

    def backoff_cap(self, retry: int) -> float:
        """Upper bound of the delay before retry number `retry` (1-based)."""
        exponent = min(max(retry - 1, 0), 62)
        return float(min(self.max_delay, self.base_delay * (2**exponent)))

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        cap = self.backoff_cap(retry)
        if not self.jitter:
            return cap
        return (rng or random).uniform(0.0, cap)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    reference = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - reference).total_seconds())


BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Stops hammering a provider whose firewall blocks us, or asking one that cannot be reached.

    After `threshold` consecutive blocked answers (403/429), counted across huts, the breaker
    opens: the provider must wait `cooldown` seconds before its next request (it then becomes
    half-open). In half-open state one more block re-opens it at once; a successful answer in any
    state closes it and resets the count. `cooldowns` counts how often it opened, for reporting.

    `trip` opens it at once, for faults that hold for every hut alike and that no retry within
    seconds mends: the host refuses connections, or its name does not resolve. Asking each hut
    anyway cost ~5 s of retries per hut (25 minutes for a run of 300 huts, then three retries of
    the step); while a trip's cool-down runs, `unreachable_for` tells callers to give up at once.
    """

    def __init__(self, threshold: int = 5, cooldown: float = 60.0) -> None:
        if threshold < 1:
            raise ValueError(f"CircuitBreaker.threshold must be at least 1, got {threshold}")
        if cooldown < 0:
            raise ValueError(f"CircuitBreaker.cooldown must not be negative, got {cooldown}")
        self.threshold = threshold
        self.cooldown = cooldown
        self.state: BreakerState = "closed"
        self.consecutive_blocks = 0
        self.cooldowns = 0
        self.blocked_until: dt.datetime | None = None  # wall clock end of the last cool-down (to persist)
        self.unreachable: str | None = None  # why the last trip opened the breaker, until a request gets through
        self._pending_wait: float | None = None  # the rest of a cool-down restored from another process

    def record_success(self) -> None:
        """A request got through: close the breaker and forget earlier blocks and trips."""
        self.state = "closed"
        self.consecutive_blocks = 0
        self.unreachable = None

    def trip(self, reason: str, now: dt.datetime | None = None) -> None:
        """Open at once because the provider cannot be reached (`reason` names the host and what
        to check); callers give up on every hut until the cool-down has passed."""
        self.state = "open"
        self.cooldowns += 1
        self.unreachable = reason
        self.blocked_until = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=self.cooldown)
        self._pending_wait = None
        logger.warning("provider unreachable: %s; cooling down %g s", reason, self.cooldown)

    def unreachable_for(self, now: dt.datetime | None = None) -> float:
        """Seconds left of the cool-down of a trip (0 when the breaker was not tripped or it passed)."""
        if self.unreachable is None or self.state != "open" or self.blocked_until is None:
            return 0.0
        return max(0.0, (self.blocked_until - (now or dt.datetime.now(dt.UTC))).total_seconds())

    def record_block(self) -> bool:
        """Count a 403/429; True when this block opened the breaker."""
        self.unreachable = None  # it answered
        self.consecutive_blocks += 1
        if self.state == "half_open" or self.consecutive_blocks >= self.threshold:
            self.state = "open"
            self.cooldowns += 1
            self.blocked_until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.cooldown)
            self._pending_wait = None
            logger.warning(
                "provider blocked: %d consecutive 403/429, cooling down %g s",
                self.consecutive_blocks,
                self.cooldown,
            )
            return True
        return False

    def take_cooldown(self) -> float:
        """Seconds to wait before the next request (0 unless open); moves an open breaker to half-open."""
        if self.state != "open":
            return 0.0
        self.state = "half_open"
        wait, self._pending_wait = self._pending_wait, None
        if self.unreachable is not None:
            return 0.0  # a trip's callers gave up until its cool-down passed: try one request now
        return self.cooldown if wait is None else wait

    def restore(self, blocked_until: dt.datetime, now: dt.datetime | None = None) -> bool:
        """Resume a cool-down that an earlier process started (persisted `blocked_until`): open the
        breaker so that the next request waits for the rest of it. True when one is still running."""
        remaining = (blocked_until - (now or dt.datetime.now(dt.UTC))).total_seconds()
        if remaining <= 0:
            return False
        self.state = "open"
        self.blocked_until = blocked_until
        self._pending_wait = remaining
        logger.warning(
            "provider blocked until %s (persisted by an earlier run): cooling down %.0f s before the first request",
            blocked_until.isoformat(timespec="seconds"),
            remaining,
        )
        return True

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(state={self.state!r}, consecutive_blocks={self.consecutive_blocks}, "
            f"unreachable={self.unreachable!r}, "
            f"cooldowns={self.cooldowns}, threshold={self.threshold}, cooldown={self.cooldown})"
        )


class Pacer:
    """Keeps the STARTS of consecutive requests at least `interval` seconds apart.

    Time spent between requests (parsing, storing, backoff) counts toward the interval, so a slow
    consumer is not slowed down further. `clock` and `sleep` are injectable for tests.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._last_start: float | None = None

    def wait(self, interval: float) -> float:
        """Sleep until `interval` has passed since the previous start, mark a new start; return the wait."""
        waited = 0.0
        if self._last_start is not None and interval > 0:
            waited = self._last_start + interval - self._clock()
            if waited > 0:
                self._sleep(waited)
            else:
                waited = 0.0
        self._last_start = self._clock()
        return waited


def unreachable_reason(exc: httpx.ConnectError, host: str, setting: str) -> str:
    """Why a site cannot be reached, naming `host` and what to check (`setting`: the variable that
    names its address, with its value): a name that does not resolve, a refused connection, or
    another network error, from the OSError behind httpx's exception."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    detail = str(cause or exc) or type(exc).__name__
    if isinstance(cause, socket.gaierror):
        return f"the name {host} does not resolve ({detail}); check {setting} and the DNS"
    if isinstance(cause, ConnectionRefusedError):
        return f"{host} refuses connections ({detail}); check that the site (or the simulator) runs there and {setting}"
    return f"cannot connect to {host} ({detail}); check the network and {setting}"


def user_agent() -> str:
    """The User-Agent every provider sends: who we are, our pace, and the HTTP client."""
    try:
        version = importlib.metadata.version("hut-availability-pipeline")
    except importlib.metadata.PackageNotFoundError:
        version = "dev"
    return (
        f"hut-availability-pipeline/{version} (availability tracker for mountain huts;"
        f" paced at about 1 request/s) python-httpx/{httpx.__version__}"
    )


@dataclass(frozen=True)
class RequestFailure:
    """A request that got no answer to use, and why; `permanent` when no retry soon would mend it."""

    message: str
    permanent: bool = False


@dataclass
class PacedClient:
    """One site's HTTP client with its politeness: every request paced, retried and guarded by the
    circuit breaker, the same way for every provider.

    `request` answers the response (a 2xx, or another status the caller takes, e.g. Laravel's 419)
    or a `RequestFailure` whose message starts with `what` (the hut or page asked for) and says
    what to do. `requests` counts every attempt sent. `site` names the provider in messages,
    `setting` the variable (with its value) that names the site's address, `others` what else is
    not asked while the breaker is open ("huts", "cabins").
    """

    client: httpx.Client
    host: str
    site: str
    setting: str
    others: str
    retry: RetryPolicy
    breaker: CircuitBreaker
    pacer: Pacer
    sleep: Callable[[float], None]
    rng: random.Random
    timeout: float
    requests: int = 0

    def request(
        self,
        method: str,
        url: str,
        what: str,
        *,
        interval: float,
        endpoint: str,
        not_found: Callable[[], str],
        takes: Callable[[int], bool] = lambda status: 200 <= status < 300,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response | RequestFailure:
        """Ask until an answer `takes` accepts, a permanent problem, the retry budget spent or the
        breaker open. `endpoint` names the call in messages; `not_found()` is the message of a 404."""
        attempts = 0
        while True:
            if (left := self.breaker.unreachable_for()) > 0:
                return RequestFailure(
                    f"{what}: not asked, {self.breaker.unreachable}; the provider cools down {left:.0f} s more"
                    " before the next request"
                )
            cooldown = self.breaker.take_cooldown()
            if cooldown > 0:
                logger.warning("%s blocked: cooling down %.1f s before asking for %s", self.site, cooldown, what)
                self.sleep(cooldown)
            self.pacer.wait(interval)
            attempts += 1
            self.requests += 1
            retry_after: float | None = None
            try:
                response = self.client.request(
                    method, url, params=params, json=json, data=data, headers=headers, timeout=self.timeout
                )
            except httpx.ConnectError as exc:
                reason = unreachable_reason(exc, self.host, self.setting)
                self.breaker.trip(reason)
                return RequestFailure(
                    f"{what}: {reason}; cooling down {self.breaker.cooldown:g} s, the other {self.others} are not"
                    " asked until then"
                )
            except RETRYABLE_ERRORS as exc:
                problem = f"{type(exc).__name__} ({exc or 'no detail'}; timeout {self.timeout:g} s)"
            except httpx.HTTPError as exc:
                return RequestFailure(f"{what}: request to {url} failed: {type(exc).__name__}: {exc}")
            else:
                status = response.status_code
                if takes(status):
                    self.breaker.record_success()
                    return response
                if status == 404:
                    return RequestFailure(not_found(), permanent=True)
                if not is_retryable_status(status):
                    return RequestFailure(
                        f"{what}: HTTP {status} from {endpoint} (not retried; asked {self.host})", permanent=True
                    )
                if status in BLOCK_STATUSES and self.breaker.record_block():
                    return RequestFailure(
                        f"blocked: cooling down {self.breaker.cooldown:g} s. {what}: {self.site} blocked"
                        f" (HTTP {status}) on attempt {attempts}: {self.breaker.consecutive_blocks} consecutive"
                        " 403/429 opened its circuit breaker; retried on a later run. Lower the request rate"
                        " if this recurs"
                    )
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempts >= self.retry.max_attempts:
                return RequestFailure(
                    f"{what}: {problem} after {attempts} attempt(s) asking {self.host}, giving up;"
                    " it will be retried on a later run"
                )
            if retry_after is not None and retry_after > self.retry.max_delay:
                return RequestFailure(
                    f"{what}: {problem} on attempt {attempts}; the provider asks to retry after {retry_after:.0f} s"
                    f" (more than max_delay {self.retry.max_delay:g} s), giving up"
                )
            delay = retry_after if retry_after is not None else self.retry.delay(attempts, self.rng)
            logger.info(
                "%s: %s (attempt %d/%d), retrying in %.2f s", what, problem, attempts, self.retry.max_attempts, delay
            )
            self.sleep(delay)
