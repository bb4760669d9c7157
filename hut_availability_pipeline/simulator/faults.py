"""Switchable, seed-reproducible faults: firewall 403 bursts, 429, 5xx, slow and malformed answers.

Random decisions are a pure function of (seed, endpoint, hut, n-th request for that hut), so a
scenario replays identically as long as each hut sees its requests in the same order, whatever
the concurrency. The rate limit alone depends on real request timing, like the real firewall.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MALFORMED_KINDS: tuple[str, ...] = ("truncated", "wrong_types", "renamed")
ERROR_5XX = (500, 502, 503, 504)
# field names of the availability answer before early 2026
OLD_NAMES = {"freeBeds": "availableBeds", "freeBedsPerCategory": "bedCategoriesData"}

FORBIDDEN_HTML = (
    b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center>"
    b"<hr><center>Request blocked. Please contact the site administrator.</center></body></html>"
)
TOO_MANY_HTML = (
    b"<html><head><title>429 Too Many Requests</title></head><body><center>"
    b"<h1>429 Too Many Requests</h1></center></body></html>"
)
GATEWAY_HTML = b"<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center></body></html>"


def parse_hut_ids(value: Iterable[int] | str | None) -> frozenset[int]:
    """A hut-id set from an iterable or a comma-separated string."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(int(v) for v in value.replace(" ", "").split(",") if v)
    return frozenset(int(v) for v in value)


@dataclass(frozen=True)
class FaultConfig:
    """Which faults the simulator injects; all off by default. Probabilities are per request.

    `rate_limit_rps`: more than this many API requests within the last second → 403 (HTML body,
    no Retry-After); `rate_limit_block_seconds` keeps answering 403 that long after a burst.
    `unknown_huts` answer 404 as if they did not exist; `broken_huts` always answer 500.
    `seed` None → the simulator's seed.
    """

    seed: int | None = None
    rate_limit_rps: float | None = None
    rate_limit_block_seconds: float = 0.0
    p_429: float = 0.0
    p_5xx: float = 0.0
    p_slow: float = 0.0
    slow_seconds: float = 2.0
    p_malformed: float = 0.0
    malformed_kinds: tuple[str, ...] = MALFORMED_KINDS
    unknown_huts: frozenset[int] = field(default_factory=frozenset)
    broken_huts: frozenset[int] = field(default_factory=frozenset)
    p_session_expired: float = 0.0
    """Hütten-Holiday only: a POST finds its session gone (419) with this probability."""
    csrf_broken: bool = False
    """Hütten-Holiday only: every POST answers 419, whatever the session (a changed protocol)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unknown_huts", parse_hut_ids(self.unknown_huts))
        object.__setattr__(self, "broken_huts", parse_hut_ids(self.broken_huts))
        object.__setattr__(self, "malformed_kinds", tuple(self.malformed_kinds))
        for name in ("p_429", "p_5xx", "p_slow", "p_malformed", "p_session_expired"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if self.rate_limit_rps is not None and self.rate_limit_rps <= 0:
            raise ValueError(f"rate_limit_rps must be positive, got {self.rate_limit_rps}")
        if self.slow_seconds < 0 or self.rate_limit_block_seconds < 0:
            raise ValueError("slow_seconds and rate_limit_block_seconds must not be negative")
        unknown = set(self.malformed_kinds) - set(MALFORMED_KINDS)
        if unknown or not self.malformed_kinds:
            raise ValueError(f"malformed_kinds must be a non-empty subset of {MALFORMED_KINDS}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (sets as sorted lists), as served by `GET /_sim/faults`."""
        out = dataclasses.asdict(self)
        out["unknown_huts"] = sorted(self.unknown_huts)
        out["broken_huts"] = sorted(self.broken_huts)
        out["malformed_kinds"] = list(self.malformed_kinds)
        return out

    def updated(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with `changes` (JSON names as in `to_dict`) applied; unknown keys raise."""
        names = {f.name for f in dataclasses.fields(self)}
        bad = set(changes) - names
        if bad:
            raise ValueError(f"unknown fault settings: {sorted(bad)}")
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Decision:
    """What to do with one request: an error status, a delay, and/or a malformation."""

    status: int | None = None
    delay: float = 0.0
    malformed: str | None = None
    rng: random.Random | None = None


class FaultInjector:
    """Applies a `FaultConfig` to requests; thread-safe."""

    def __init__(self, config: FaultConfig, default_seed: int) -> None:
        self._lock = threading.Lock()
        self._default_seed = default_seed
        self._window: deque[float] = deque()
        self._blocked_until = 0.0
        self._counters: dict[tuple[str, int | None], int] = {}
        self.config = config

    def set(self, config: FaultConfig) -> None:
        """Switch to `config`; per-hut request counters restart so a scenario replays identically."""
        with self._lock:
            self.config = config
            self._counters.clear()
            self._window.clear()
            self._blocked_until = 0.0

    def _rate_limited(self, cfg: FaultConfig, now: float) -> bool:
        if cfg.rate_limit_rps is None:
            return False
        window = self._window
        window.append(now)
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) > cfg.rate_limit_rps:
            self._blocked_until = max(self._blocked_until, now + cfg.rate_limit_block_seconds)
            return True
        return now < self._blocked_until

    def decide(self, endpoint: str, hut_id: int | None) -> Decision:
        """The fault decision for the next request of `endpoint` for `hut_id`."""
        now = time.monotonic()
        with self._lock:
            cfg = self.config
            if self._rate_limited(cfg, now):
                return Decision(status=403)
            key = (endpoint, hut_id)
            n = self._counters.get(key, 0)
            self._counters[key] = n + 1
        if hut_id is not None and hut_id in cfg.unknown_huts:
            return Decision(status=404)
        if hut_id is not None and hut_id in cfg.broken_huts:
            return Decision(status=500)
        if not (cfg.p_429 or cfg.p_5xx or cfg.p_slow or cfg.p_malformed or cfg.p_session_expired):
            return Decision()
        seed = self._default_seed if cfg.seed is None else cfg.seed
        rng = random.Random(f"fault:{seed}:{endpoint}:{hut_id}:{n}")
        u429, u5xx, uslow, umal = rng.random(), rng.random(), rng.random(), rng.random()
        if u429 < cfg.p_429:
            return Decision(status=429)
        if u5xx < cfg.p_5xx:
            return Decision(status=rng.choice(ERROR_5XX))
        delay = cfg.slow_seconds if uslow < cfg.p_slow else 0.0
        malformed = rng.choice(cfg.malformed_kinds) if umal < cfg.p_malformed else None
        return Decision(delay=delay, malformed=malformed, rng=rng)


def malform_availability(days: list[dict[str, Any]], body: bytes, kind: str, rng: random.Random) -> bytes:
    """A broken getHutAvailability body: truncated, a few days with wrong types, or old field names."""
    if kind == "truncated" or not days:
        return body[: rng.randint(1, max(1, len(body) - 1))]
    if kind == "renamed":
        renamed = [{OLD_NAMES.get(k, k): v for k, v in day.items()} for day in days]
        return json.dumps(renamed, separators=(",", ":")).encode()
    for index in rng.sample(range(len(days)), min(len(days), rng.randint(1, 5))):
        day = days[index]
        mutation = rng.randrange(4)
        if mutation == 0:
            day["freeBeds"] = "n/a" if day["freeBeds"] is None else str(day["freeBeds"])
        elif mutation == 1:
            day["totalSleepingPlaces"] = str(day["totalSleepingPlaces"])
        elif mutation == 2:
            day["freeBedsPerCategory"] = list(dict(day["freeBedsPerCategory"]).values())
        else:
            day["date"] = day["dateFormatted"]
    return json.dumps(days, separators=(",", ":")).encode()


def malform_hut_info(info: dict[str, Any], body: bytes, kind: str, rng: random.Random) -> bytes:
    """A broken hutInfo body: truncated, `hutId` as a string, or the bed categories renamed."""
    if kind == "truncated":
        return body[: rng.randint(1, max(1, len(body) - 1))]
    data = dict(info)
    if kind == "renamed":
        data["bedCategories"] = data.pop("hutBedCategories")
    else:
        data["hutId"] = str(data["hutId"])
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
