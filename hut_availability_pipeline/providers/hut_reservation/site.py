"""Facts of hut-reservation.org itself: its source slug, address, booking pages and the packaged
hut catalog (the site lists no huts publicly)."""

from __future__ import annotations

import json
from pathlib import Path

from ...domain.bookings import HutRef
from ...domain.mapping import Service
from ..registry import PROVIDERS

__all__ = [
    "CLOSED",
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "DEFAULT_TIMEZONE",
    "KNOWN_HUT_STATUSES",
    "SERVICED",
    "SOURCE",
    "UNSERVICED_VALUES",
    "booking_link",
    "catalog_hut_ids",
    "hut_ref_for",
    "service_of",
    "site_url",
]

SOURCE = "hut-reservation.org"
DEFAULT_BASE_URL = PROVIDERS["hrs"].default_base_url
DEFAULT_REQUEST_INTERVAL = PROVIDERS["hrs"].default_request_interval
DEFAULT_TIMEZONE = "Europe/Zurich"
SERVICED = "SERVICED"
CLOSED = "CLOSED"
UNSERVICED_VALUES = frozenset({"UNSERVICED", "NOT_SERVICED"})
KNOWN_HUT_STATUSES = frozenset({SERVICED, CLOSED, *UNSERVICED_VALUES})
_SERVICE_OF = {SERVICED: Service.serviced, CLOSED: Service.closed} | dict.fromkeys(
    UNSERVICED_VALUES, Service.unserviced
)
_CATALOG_DIR = Path(__file__).resolve().parent.parent.parent / "data"


def booking_link(source_hut_id: int | str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The hut's booking page on the site (what users want to open)."""
    return f"{site_url(base_url)}/reservation/book-hut/{source_hut_id}/wizard"


def hut_ref_for(source_hut_id: int | str) -> HutRef:
    """A `HutRef` for a bare hut-reservation.org id (hut-services' `get_bookings` knows only ids)."""
    text = str(source_hut_id).strip()
    return HutRef(
        hut_id=int(text) if text.isdigit() else 0,
        slug=f"hrs-{text}",
        source=SOURCE,
        source_hut_id=text,
    )


def service_of(hut_status: str | None) -> Service:
    """The site's `hutStatus` in our words: SERVICED → serviced, UNSERVICED/NOT_SERVICED →
    unserviced (winter room), CLOSED → closed, anything else → unknown."""
    return _SERVICE_OF.get(hut_status or "", Service.unknown)


def catalog_hut_ids() -> list[int]:
    """Hut ids of the newest packaged catalog (`data/hut_catalog_*.json`): the site lists no huts publicly."""
    files = sorted(_CATALOG_DIR.glob("hut_catalog_*.json"))
    if not files:
        raise FileNotFoundError(f"no hut catalog (hut_catalog_*.json) in {_CATALOG_DIR}; pass source_ids")
    catalog = json.loads(files[-1].read_text(encoding="utf-8"))
    return [int(h["hutId"]) for h in catalog["huts"]]


def site_url(base_url: str) -> str:
    """The site root: no trailing slash, no `/api/v1` (accepted for convenience)."""
    url = base_url.strip().rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url
