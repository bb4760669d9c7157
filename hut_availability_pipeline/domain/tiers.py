"""Priority tiers: how often a hut is refreshed, decided by its occupancy in the coming days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    """Refresh tiers, most urgent first. `new` huts have never been checked."""

    new = "new"
    high = "high"
    medium = "medium"
    low = "low"
    unknown = "unknown"
    retry = "retry"


@dataclass(frozen=True)
class TierPolicy:
    """Thresholds and intervals of the seed's priority selection (all configurable).

    A hut's tier comes from the highest occupancy among its dates in the next `horizon_days`:
    above `high_threshold` → high, above `low_threshold` → medium, otherwise low; no known
    occupancy → unknown. Failing huts are retried after `retry_base` doubling per consecutive
    failure, capped at `retry_max`.
    """

    horizon_days: int = 14
    high_threshold: float = 75.0
    low_threshold: float = 25.0
    high_interval: dt.timedelta = dt.timedelta(minutes=30)
    medium_interval: dt.timedelta = dt.timedelta(hours=3)
    low_interval: dt.timedelta = dt.timedelta(hours=24)
    unknown_interval: dt.timedelta = dt.timedelta(days=7)
    retry_base: dt.timedelta = dt.timedelta(minutes=30)
    retry_max: dt.timedelta = dt.timedelta(days=7)

    def __post_init__(self) -> None:
        if not 0 <= self.low_threshold <= self.high_threshold <= 100:
            raise ValueError(
                f"tier thresholds must satisfy 0 <= low ({self.low_threshold}) <= high ({self.high_threshold}) <= 100"
            )
        if self.horizon_days < 1:
            raise ValueError(f"horizon_days must be at least 1, got {self.horizon_days}")

    def tier_for(self, max_occupancy: float | None) -> Tier:
        if max_occupancy is None:
            return Tier.unknown
        if max_occupancy > self.high_threshold:
            return Tier.high
        if max_occupancy > self.low_threshold:
            return Tier.medium
        return Tier.low

    def interval(self, tier: Tier) -> dt.timedelta:
        return {
            Tier.new: dt.timedelta(0),
            Tier.high: self.high_interval,
            Tier.medium: self.medium_interval,
            Tier.low: self.low_interval,
            Tier.unknown: self.unknown_interval,
            Tier.retry: self.retry_base,
        }[tier]

    def retry_delay(self, consecutive_failures: int) -> dt.timedelta:
        """Backoff after `consecutive_failures` failures: base × 2^(n-1), at most `retry_max`."""
        if consecutive_failures <= 0:
            return dt.timedelta(0)
        exponent = min(consecutive_failures - 1, 30)
        return min(self.retry_base * (2**exponent), self.retry_max)
