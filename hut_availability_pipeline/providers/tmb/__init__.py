"""The Tour du Mont Blanc refuges (montourdumontblanc.com's booking backend): `parse` maps answers
(pure), `service` talks HTTP, `site` holds the site's own facts. Only this package knows the
site's protocol."""

from .parse import parse_planning
from .service import TmbService
from .site import DEFAULT_BASE_URL, DEFAULT_REQUEST_INTERVAL, SOURCE, booking_link

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "SOURCE",
    "TmbService",
    "booking_link",
    "create_service",
    "parse_planning",
]


def create_service(base_url: str, request_interval: float) -> TmbService:
    """The registry's entry point (`providers.registry`)."""
    return TmbService(base_url=base_url, request_interval=request_interval)
