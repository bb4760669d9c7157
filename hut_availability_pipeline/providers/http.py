"""Politeness machinery for HTTP providers: request pacing, retry with backoff, circuit breaker.

Kept apart from the hut-reservation.org mapping so each piece is small and testable alone. None of
these classes is thread-safe: use one provider instance (and so one pacer and breaker) per thread.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

__all__ = [
    "BLOCK_STATUSES",
    "CircuitBreaker",
    "Pacer",
    "RetryPolicy",
    "is_retryable_status",
    "parse_retry_after",
    "unreachable_reason",
]

logger = logging.getLogger(__name__)

BLOCK_STATUSES = frozenset({403, 429})
"""Statuses the site's firewall answers bursts with: retried, and counted by the circuit breaker."""


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
