"""Resources: the availability database and the booking provider, configured per deployment.

Both default to the process's settings (`load_settings()`: DATABASE_URL or the embedded server,
HRS_BASE_URL), read when a run or tick uses them, so the same Definitions serve `hut-availability
dev`, a deployment and the tests (which pass an explicit `conninfo` / `base_url`).
"""

from __future__ import annotations

import functools

import dagster as dg
from pydantic import Field

from ..config import Settings, load_settings
from ..providers.hut_reservation import DEFAULT_REQUEST_INTERVAL, HutReservationService
from ..storage.database import Database, open_database

REQUEST_INTERVAL_ENV = Settings.variable("request_interval")


@functools.cache
def _configured_database(settings: Settings) -> Database:
    """Open (and migrate) the configured database once per process and settings."""
    return open_database(settings)


class DatabaseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The PostgreSQL database that holds huts, current state and history."""

    conninfo: str | None = Field(
        default=None,
        description="libpq connection string or URL of an already migrated database; empty: the configured"
        " database (DATABASE_URL, else the embedded server under HUT_AVAILABILITY_HOME), migrated on first use.",
    )

    def database(self) -> Database:
        """The database to read and write (cheap: opened and migrated once per process)."""
        if self.conninfo:
            return Database(self.conninfo)
        return _configured_database(load_settings())


def default_request_interval() -> float:
    """Seconds between request starts: HUT_AVAILABILITY_REQUEST_INTERVAL, else the provider's polite 1 s."""
    return load_settings().request_interval


class HutReservationResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """hut-reservation.org (or its simulator): where bookings come from and how politely we ask."""

    base_url: str | None = Field(
        default=None, description="Site root; empty: HRS_BASE_URL, else https://www.hut-reservation.org."
    )
    request_interval: float | None = Field(
        default=None,
        description=f"Seconds between request starts; empty: {REQUEST_INTERVAL_ENV}, else"
        f" {DEFAULT_REQUEST_INTERVAL} (the site tolerates about one request per second).",
    )

    def interval(self) -> float:
        """The request interval in effect."""
        return default_request_interval() if self.request_interval is None else self.request_interval

    def service(self) -> HutReservationService:
        """A fresh provider client (not thread-safe: one per run); close it when done."""
        base_url = self.base_url or load_settings().hrs_base_url
        return HutReservationService(base_url=base_url, request_interval=self.interval())
