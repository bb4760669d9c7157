"""Headers that keep the pages safe: a Content-Security-Policy that allows scripts, styles and
requests only from the app itself (no inline scripts or styles, no other host but the map's tile
server, for images only), and no sniffing, framing or referrers (the map's tiles send their
page's origin only, as tile servers' policies ask: `referrerpolicy` on each tile). Every string
from a provider or a CSV is escaped by the templates (autoescape) and set as text by the scripts
(textContent, never innerHTML); links from a provider are shown only when they are http(s)
(`safe_link`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response


def content_security_policy(tile_origin: str | None = None) -> str:
    """The pages' CSP: everything from the app itself; images also from `tile_origin` (the map's
    tile server, `scheme://host[:port]`), and from nowhere else."""
    images = "img-src 'self' data:" + (f" {tile_origin}" if tile_origin else "")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            images,
            "connect-src 'self'",
            "font-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()
"""The CSP without map tiles."""


def guarded_headers(tile_origin: str | None = None) -> dict[str, str]:
    """The headers of every guarded response."""
    return {
        "Content-Security-Policy": content_security_policy(tile_origin),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


# Swagger UI's page (api/docs.py) starts itself with an inline script: it keeps FastAPI's page as is
UNGUARDED = frozenset({"/docs"})


def add_security_headers(app: FastAPI, tile_origin: str | None = None) -> None:
    """Every response but /docs's gets the security headers (images allowed from `tile_origin`)."""
    guarded = guarded_headers(tile_origin)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path not in UNGUARDED:
            for name, value in guarded.items():
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
