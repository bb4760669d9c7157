"""Hütten-Holiday (www.huetten-holiday.com: ÖTK, private and several Alpine-club huts in Austria and
Bavaria): `parse` maps answers (pure), `service` talks HTTP (session, XSRF token, month calendar),
`site` holds the site's own facts. Only this package knows the site's protocol."""

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
    "parse_cabins",
    "parse_month",
]


def create_service(base_url: str, request_interval: float) -> HuettenHolidayService:
    """The registry's entry point (`providers.registry`)."""
    return HuettenHolidayService(base_url=base_url, request_interval=request_interval)
