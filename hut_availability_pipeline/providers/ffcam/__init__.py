"""The French Alpine Club's central booking (centrale.ffcam.fr): `parse` maps availability pages
(pure), `service` talks HTTP, `site` holds the site's own facts. The site lists no refuges
publicly: refuges are loaded with `huts load` (see docs/booking-systems.md)."""

from .parse import parse_availability_page
from .service import FfcamService
from .site import DEFAULT_BASE_URL, DEFAULT_REQUEST_INTERVAL, SOURCE, booking_link

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "SOURCE",
    "FfcamService",
    "booking_link",
    "create_service",
    "parse_availability_page",
]


def create_service(base_url: str, request_interval: float) -> FfcamService:
    """The registry's entry point (`providers.registry`)."""
    return FfcamService(base_url=base_url, request_interval=request_interval)
