"""hut-reservation.org (SAC/CAS, ÖAV, DAV, AVS ...): `parse` maps answers (pure), `service` talks
HTTP, `site` holds the site's own facts. Only this package knows the site's protocol."""

from ..answers import ProviderAnswerError
from .parse import MAX_PLACES, parse_availability
from .service import HutReservationService
from .site import DEFAULT_BASE_URL, DEFAULT_REQUEST_INTERVAL, SOURCE, booking_link, catalog_hut_ids, hut_ref_for

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "MAX_PLACES",
    "SOURCE",
    "HutReservationService",
    "ProviderAnswerError",
    "booking_link",
    "catalog_hut_ids",
    "create_service",
    "hut_ref_for",
    "parse_availability",
]


def create_service(base_url: str, request_interval: float) -> HutReservationService:
    """The registry's entry point (`providers.registry`)."""
    return HutReservationService(base_url=base_url, request_interval=request_interval)
