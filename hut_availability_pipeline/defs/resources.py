"""Resources: the settings, the availability database and the booking providers, per deployment.

`definitions.py` reads the settings once (`load_settings()`: a bad value fails loading the code
location, naming the variable) and builds every resource from them: `settings` (the object itself,
for sensors, schedules, assets and checks as `dg.ResourceParam[Settings]`), `database` (DATABASE_URL
or the embedded server under HUT_AVAILABILITY_HOME) and `providers` (each provider's site root and
the request interval). Nothing here reads the environment; tests pass an explicit `conninfo` /
`base_urls`.
"""

# No `from __future__ import annotations`: Dagster reads the `ResourceDependency` annotation at
# class creation.
import functools

import dagster as dg
from pydantic import Field

from ..config import Settings, open_configured_database
from ..providers.registry import PROVIDERS, BookingService, provider_for
from ..storage.database import Database

SETTINGS_KEY = "settings"
"""Resource key of the `config.Settings` the code location was loaded with."""
REQUEST_INTERVAL_ENV = Settings.variable("request_interval")


@functools.cache
def _configured_database(settings: Settings) -> Database:
    """Open (and migrate) the configured database once per process and settings."""
    return open_configured_database(settings)


class DatabaseResource(dg.ConfigurableResource):
    """The PostgreSQL database that holds huts, current state and history."""

    conninfo: str | None = Field(
        default=None,
        description="libpq connection string or URL of an already migrated database; empty: the configured"
        " database (DATABASE_URL, else the embedded server under HUT_AVAILABILITY_HOME), migrated on first use.",
    )
    settings: dg.ResourceDependency[Settings | None] = None  # type: ignore[assignment]  # Dagster injects it; None only until then
    """The settings that name the configured database (given by `definitions.py`)."""

    def database(self) -> Database:
        """The database to read and write (cheap: opened and migrated once per process)."""
        if self.conninfo:
            return Database(self.conninfo)
        if self.settings is None:
            raise ValueError("DatabaseResource has no database: give a conninfo, or the settings (definitions.py does)")
        return _configured_database(self.settings)


class BookingProvidersResource(dg.ConfigurableResource):
    """The booking systems (`providers.registry`: hut-reservation.org, Hütten-Holiday, or the
    simulator): where bookings come from and how politely we ask. The IO manager hands them to
    `refresh.parallel.refresh_huts`, which opens one service per booking source."""

    base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Site root per booking source (e.g. {'hrs': 'http://127.0.0.1:8000'}); a source not named:"
        " the site itself. definitions.py fills it from each provider's setting (HRS_BASE_URL, TMB_BASE_URL, ...).",
    )
    request_interval: float | None = Field(
        default=None,
        description=f"Seconds between request starts, per provider; empty: the provider's own (1 s: the sites"
        f" tolerate about one request per second). definitions.py fills it from {REQUEST_INTERVAL_ENV}.",
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> "BookingProvidersResource":
        """Every provider at its configured site root, asked at the configured interval."""
        return cls(
            base_urls={p.source: str(getattr(settings, p.base_url_setting)) for p in PROVIDERS.values()},
            request_interval=settings.request_interval,
        )

    @classmethod
    def at(cls, base_url: str, request_interval: float | None = None) -> "BookingProvidersResource":
        """Every provider at one site root (the simulator serves them all)."""
        return cls(base_urls=dict.fromkeys(PROVIDERS, base_url), request_interval=request_interval)

    def base_url(self, source: str) -> str:
        """The site root of a booking source."""
        return self.base_urls.get(source) or provider_for(source).default_base_url

    def interval(self, source: str) -> float:
        """The request interval in effect for a booking source."""
        if self.request_interval is not None:
            return self.request_interval
        return provider_for(source).default_request_interval

    def service(self, source: str) -> BookingService:
        """A fresh client of a booking source's provider (not thread-safe: one per run and source);
        close it when done."""
        return provider_for(source).create_service(self.base_url(source), self.interval(source))
