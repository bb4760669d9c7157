"""Facts of Hütten-Holiday (www.huetten-holiday.com) itself: its source slug, address, the paths of
its Laravel app, and booking pages."""

from __future__ import annotations

from ..registry import PROVIDERS

__all__ = [
    "CABIN_LIST_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "MONTH_AVAILABILITY_PATH",
    "SESSION_COOKIE",
    "SESSION_PATH",
    "SOURCE",
    "XSRF_COOKIE",
    "booking_link",
    "site_url",
]

SOURCE = "huetten-holiday"
DEFAULT_BASE_URL = PROVIDERS["huetten-holiday"].default_base_url
DEFAULT_REQUEST_INTERVAL = PROVIDERS["huetten-holiday"].default_request_interval

SESSION_PATH = "/huts"
"""A page whose GET opens an anonymous session: it sets the `XSRF-TOKEN` and session cookies."""
MONTH_AVAILABILITY_PATH = "/cabins/get-month-availability"
"""POST {cabinId, selectedMonth: {monthNumber, year}, multipleCalendar: false} with the XSRF header."""
CABIN_LIST_PATH = "/get-cabins"
"""GET ?page=N: Laravel's paginated list of cabins (`data`, `next_page_url`, `last_page`)."""
XSRF_COOKIE = "XSRF-TOKEN"
SESSION_COOKIE = "huettenholiday_session"


def site_url(base_url: str) -> str:
    """The site root without a trailing slash."""
    return base_url.strip().rstrip("/")


def booking_link(hut_slug: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The hut's page on the site, where it is booked: `/huts/<site slug>`. `huts discover` gives a
    cabin the site's slug as its own when that slug is free, so this is the site's page."""
    return f"{site_url(base_url)}/huts/{hut_slug}"
