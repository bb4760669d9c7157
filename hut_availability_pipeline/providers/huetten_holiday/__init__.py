"""Hütten-Holiday (www.huetten-holiday.com: ÖTK, private and several Alpine-club huts in Austria and
Bavaria): `parse` maps answers (pure), `service` talks HTTP (session, XSRF token, month calendar),
`site` holds the site's own facts. Only this package knows the site's protocol."""

from ..registry import DiscoveredHut
from .parse import Cabin, Month, parse_cabins, parse_month
from .service import CabinListError, HuettenHolidayService
from .site import DEFAULT_BASE_URL, DEFAULT_REQUEST_INTERVAL, SOURCE, booking_link

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "SOURCE",
    "Cabin",
    "CabinListError",
    "HuettenHolidayService",
    "Month",
    "booking_link",
    "create_service",
    "discover_huts",
    "parse_cabins",
    "parse_month",
]


def create_service(base_url: str, request_interval: float) -> HuettenHolidayService:
    """The registry's entry point (`providers.registry`)."""
    return HuettenHolidayService(base_url=base_url, request_interval=request_interval)


def discover_huts(base_url: str, request_interval: float) -> list[DiscoveredHut]:
    """The registry's hut list: every cabin of the site's list (`CabinListError` when unreadable)."""
    with HuettenHolidayService(base_url=base_url, request_interval=request_interval) as service:
        return [
            DiscoveredHut(c.cabin_id, c.name, c.slug, c.country, c.lat, c.lon, c.altitude) for c in service.cabins()
        ]
