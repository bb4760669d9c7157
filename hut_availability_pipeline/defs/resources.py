"""Resources: the availability database and the booking providers, configured per deployment.

Both default to the process's settings (`load_settings()`: DATABASE_URL or the embedded server,
HRS_BASE_URL), read when a run or tick uses them, so the same Definitions serve `hut-availability
dev`, a deployment and the tests (which pass an explicit `conninfo` / `base_url`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator, Sequence

import dagster as dg
from pydantic import Field

from ..config import DEFAULT_REQUEST_INTERVAL, Settings, load_settings
from ..domain.bookings import HutRef
from ..engine import FetchedHuts, fetch_huts
from ..parallel import by_source
from ..providers.registry import PROVIDERS, BookingService, provider_for
from ..storage.database import Database, open_database
from .refresh import HutBookings

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
    """Seconds between request starts: HUT_AVAILABILITY_REQUEST_INTERVAL, else the providers' polite 1 s."""
    return load_settings().request_interval


class BookingProvidersResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The booking systems (`providers.registry`: hut-reservation.org, Hütten-Holiday, or the
    simulator): where bookings come from and how politely we ask. An asset or op calls `fetch`;
    the IO manager stores what it yields."""

    base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Site root per booking source (e.g. {'hrs': 'http://127.0.0.1:8000'}); a source not named:"
        " its setting (HRS_BASE_URL, HUETTEN_HOLIDAY_BASE_URL), else the site itself.",
    )
    request_interval: float | None = Field(
        default=None,
        description=f"Seconds between request starts, per provider; empty: {REQUEST_INTERVAL_ENV}, else"
        f" {DEFAULT_REQUEST_INTERVAL} (the sites tolerate about one request per second).",
    )

    @classmethod
    def at(cls, base_url: str, request_interval: float | None = None) -> BookingProvidersResource:
        """Every provider at one site root (the simulator serves them all)."""
        return cls(base_urls=dict.fromkeys(PROVIDERS, base_url), request_interval=request_interval)

    def interval(self) -> float:
        """The request interval in effect."""
        return default_request_interval() if self.request_interval is None else self.request_interval

    def base_url(self, source: str) -> str:
        """The site root of a booking source."""
        provider = provider_for(source)
        return self.base_urls.get(source) or str(getattr(load_settings(), provider.base_url_setting))

    def service(self, source: str) -> BookingService:
        """A fresh client of a booking source's provider (not thread-safe: one per run and source);
        close it when done."""
        return provider_for(source).create_service(self.base_url(source), self.interval())

    @contextlib.contextmanager
    def fetch(self, huts: Sequence[HutRef], *, start: dt.date, days: int | None) -> Iterator[HutBookings]:
        """The bookings of `huts` from `start` (every day served, or `days`), as one lazy fetch per
        booking source with its own service: nothing is asked until they are iterated (by the IO
        manager, through the engine). The services are closed on leaving."""
        with contextlib.ExitStack() as stack:
            fetches: dict[str, FetchedHuts] = {}
            services: dict[str, BookingService] = {}
            for source, group in by_source(huts).items():
                service = services[source] = stack.enter_context(self.service(source))
                fetches[source] = fetch_huts(service, group, start=start, days=days, request_interval=self.interval())
            yield HutBookings(fetches, services)
