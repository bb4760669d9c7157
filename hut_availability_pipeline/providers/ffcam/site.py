"""Facts of the French Alpine Club's central booking (centrale.ffcam.fr): its source slug,
address, the availability form and a refuge's booking page."""

from __future__ import annotations

from ..registry import PROVIDERS

__all__ = [
    "AVAILABILITY_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "SOURCE",
    "availability_form",
    "booking_link",
    "site_url",
    "structure",
]

SOURCE = "ffcam"
DEFAULT_BASE_URL = PROVIDERS["ffcam"].default_base_url
DEFAULT_REQUEST_INTERVAL = PROVIDERS["ffcam"].default_request_interval
AVAILABILITY_PATH = "/index.php"


def site_url(base_url: str) -> str:
    """The site root without a trailing slash."""
    return base_url.strip().rstrip("/")


def structure(source_hut_id: str) -> str:
    """The booking widget's name of a refuge: `BK_STRUCTURE:{n}` (85 is Refuge de l'Aigle)."""
    return f"BK_STRUCTURE:{source_hut_id}"


def availability_form(source_hut_id: str) -> dict[str, str]:
    """The form public clients POST for a refuge's free places per date (for one person)."""
    return {
        "action": "availability",
        "structure": structure(source_hut_id),
        "productCategory": "nomatter",
        "pax": "1",
        "parent_url": "",
        "widgetHostCss": "",
        "structures": "",
        "faqurl": "",
        "faqtitle": "",
        "apporigin": "FFCAM",
    }


def booking_link(source_hut_id: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The refuge's booking widget on the site."""
    return f"{site_url(base_url)}{AVAILABILITY_PATH}?structure={structure(source_hut_id)}"
