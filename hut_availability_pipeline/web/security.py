"""Headers that keep the pages safe: a Content-Security-Policy that allows scripts, styles and
requests only from the app itself (no inline scripts or styles, no other host), and no sniffing,
framing or referrers. Every string from a provider or a CSV is escaped by the templates
(autoescape) and set as text by the scripts (textContent, never innerHTML); links from a provider
are shown only when they are http(s) (`safe_link`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Swagger UI's page (api/docs.py) starts itself with an inline script: it keeps FastAPI's page as is
UNGUARDED = frozenset({"/docs"})


def add_security_headers(app: FastAPI) -> None:
    """Every response but /docs's gets HEADERS."""

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path not in UNGUARDED:
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
        return response


def safe_link(url: str | None) -> str | None:
    """A provider's link if it is an http(s) URL with a host; None otherwise (`javascript:` and
    the like are never made links)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
