"""Settings from the environment, read once per call so tests and deployments can change them."""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .domain.tiers import TierPolicy

DEFAULT_HOME = ".hut-availability"
DEFAULT_TIMEZONE = "Europe/Zurich"
DEFAULT_HRS_BASE_URL = "https://www.hut-reservation.org"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting and the bad value."""


_T = TypeVar("_T")


def env_int(name: str, default: _T, *, minimum: int | None = None) -> int | _T:
    """The whole number in environment variable `name` (unset or empty: `default`); a ConfigError
    naming the variable when it is not a whole number or is below `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: _T, *, minimum: float | None = None) -> float | _T:
    """The number in environment variable `name` (unset or empty: `default`); a ConfigError naming
    the variable when it is not a number or is below `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the environment variable that sets it."""

    home: Path = field(default_factory=lambda: Path(DEFAULT_HOME))
    database_url: str | None = None  # DATABASE_URL; None → the embedded server under `home`
    timezone: str = DEFAULT_TIMEZONE  # HUT_AVAILABILITY_TIMEZONE: what "today" means
    hrs_base_url: str = DEFAULT_HRS_BASE_URL  # HRS_BASE_URL
    batch_size: int = 20  # HUT_AVAILABILITY_BATCH_SIZE: huts per transaction
    tiers: TierPolicy = field(default_factory=TierPolicy)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


def load_settings() -> Settings:
    """Read settings from the environment; raise ConfigError naming the bad variable."""
    import datetime as dt

    timezone = os.environ.get("HUT_AVAILABILITY_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"HUT_AVAILABILITY_TIMEZONE={timezone!r} is not a known time zone") from None
    batch_size = env_int("HUT_AVAILABILITY_BATCH_SIZE", 20, minimum=1)
    database_url = os.environ.get("DATABASE_URL") or None
    if database_url is not None and not database_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL must be a postgresql:// URL (the value is not shown: it may hold a password)")
    try:
        tiers = TierPolicy(
            horizon_days=env_int("HUT_AVAILABILITY_TIER_HORIZON_DAYS", 14),
            high_threshold=env_float("HUT_AVAILABILITY_TIER_HIGH_THRESHOLD", 75.0),
            low_threshold=env_float("HUT_AVAILABILITY_TIER_LOW_THRESHOLD", 25.0),
            high_interval=dt.timedelta(minutes=env_float("HUT_AVAILABILITY_TIER_HIGH_MINUTES", 30)),
            medium_interval=dt.timedelta(minutes=env_float("HUT_AVAILABILITY_TIER_MEDIUM_MINUTES", 180)),
            low_interval=dt.timedelta(minutes=env_float("HUT_AVAILABILITY_TIER_LOW_MINUTES", 1440)),
            unknown_interval=dt.timedelta(minutes=env_float("HUT_AVAILABILITY_TIER_UNKNOWN_MINUTES", 10080)),
            retry_base=dt.timedelta(minutes=env_float("HUT_AVAILABILITY_RETRY_BASE_MINUTES", 30)),
            retry_max=dt.timedelta(minutes=env_float("HUT_AVAILABILITY_RETRY_MAX_MINUTES", 10080)),
        )
    except ValueError as exc:
        raise ConfigError(f"tier settings: {exc}") from None
    return Settings(
        home=Path(os.environ.get("HUT_AVAILABILITY_HOME") or DEFAULT_HOME),
        database_url=database_url,
        timezone=timezone,
        hrs_base_url=os.environ.get("HRS_BASE_URL") or DEFAULT_HRS_BASE_URL,
        batch_size=batch_size,
        tiers=tiers,
    )
