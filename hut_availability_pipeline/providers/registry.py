"""Booking providers by booking-source slug (`organizations.slug`): what the engine, the CLI and
Dagster look up to fetch a hut's availability. Nothing outside a provider's own package knows its
protocol: a third provider is one new package (`providers/<site>/` with `create_service`) and one
line in `PROVIDERS`.

A provider's package is imported only when it is used (`Provider.create_service`), so asking the
registry what exists costs no HTTP stack.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ProviderError

if TYPE_CHECKING:  # hut-services (under domain.bookings) costs seconds to import; the registry is read at start-up
    from ..domain.bookings import HutFetchResult, HutRef

__all__ = [
    "PROVIDERS",
    "BookingService",
    "DiscoveredHut",
    "DiscoveryNotSupported",
    "Provider",
    "UnknownSourceError",
    "provider_for",
]


class BookingService(Protocol):
    """What a provider's service offers: hut-services' `BaseService` with our streaming form.

    `iter_bookings` yields one `HutFetchResult` per hut as it arrives (provider trouble ends up in
    the result's `error`, never raised); `breaker` is the service's circuit breaker, whose block
    the engine persists per source.
    """

    request_interval: float
    breaker: Any

    def iter_bookings(
        self, huts: Sequence[HutRef], start: dt.date, days: int | None = None, request_interval: float | None = None
    ) -> Iterator[HutFetchResult]: ...

    def close(self) -> None: ...

    def __enter__(self) -> BookingService: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class UnknownSourceError(ProviderError, KeyError):
    """No provider is registered for a booking-source slug."""

    def __str__(self) -> str:
        return str(self.args[0])


class DiscoveryNotSupported(ProviderError, RuntimeError):
    """The provider's site lists no huts publicly (hut-reservation.org: use the packaged catalog)."""


@dataclass(frozen=True)
class DiscoveredHut:
    """One hut as a provider's public hut list gives it, for the catalog to load."""

    source_hut_id: str
    name: str
    site_slug: str | None
    country: str | None
    lat: float | None
    lon: float | None
    elevation: int | None


@dataclass(frozen=True)
class Provider:
    """One booking system: its source slug, its name, where its package is and which setting holds
    its site root (an attribute of `config.Settings`, read by the entry point and passed in)."""

    source: str
    name: str
    package: str
    base_url_setting: str
    default_base_url: str
    default_request_interval: float

    def create_service(self, base_url: str | None = None, request_interval: float | None = None) -> BookingService:
        """A fresh service for this provider (not thread-safe: one per thread); close it when done."""
        module = importlib.import_module(f"{__package__}.{self.package}")
        interval = self.default_request_interval if request_interval is None else request_interval
        service: BookingService = module.create_service(base_url or self.default_base_url, interval)
        return service

    def discover(self, base_url: str | None = None, request_interval: float | None = None) -> list[DiscoveredHut]:
        """Every hut the site lists (its package's `discover_huts`); `DiscoveryNotSupported` when
        the site lists none."""
        module = importlib.import_module(f"{__package__}.{self.package}")
        discover = getattr(module, "discover_huts", None)
        if discover is None:
            raise DiscoveryNotSupported(
                f"{self.name} ({self.source}) lists no huts publicly; load its huts with `huts load`"
            )
        interval = self.default_request_interval if request_interval is None else request_interval
        huts: list[DiscoveredHut] = discover(base_url or self.default_base_url, interval)
        return huts


PROVIDERS: dict[str, Provider] = {
    p.source: p
    for p in (
        # Seconds between request starts: the site's firewall answers bursts with 403; long-running
        # public crawlers report that about 1 request per second per client is tolerated.
        Provider(
            "hrs", "hut-reservation.org", "hut_reservation", "hrs_base_url", "https://www.hut-reservation.org", 1.0
        ),
        # One hut costs one request per calendar month, so a year is 12 requests; public clients
        # wait 0.5 s, we stay at the same polite 1/s as for hut-reservation.org.
        Provider(
            "huetten-holiday",
            "Hütten-Holiday",
            "huetten_holiday",
            "huetten_holiday_base_url",
            "https://www.huetten-holiday.com",
            1.0,
        ),
        Provider("tmb", "Tour du Mont Blanc refuges", "tmb", "tmb_base_url", "https://etape-rest.for-system.com", 1.0),
        Provider("ffcam", "FFCAM central booking", "ffcam", "ffcam_base_url", "https://centrale.ffcam.fr", 1.0),
    )
}
"""Every provider, keyed by booking-source slug (the `organizations` table registers the same slugs).
The one place of each provider's default site root and pace: settings and the provider packages read
them from here."""


def provider_for(source: str) -> Provider:
    """The provider of a booking source; `UnknownSourceError` names the known ones."""
    try:
        return PROVIDERS[source]
    except KeyError:
        raise UnknownSourceError(
            f"no booking provider for source {source!r} (known: {', '.join(sorted(PROVIDERS))})"
        ) from None
