"""HTTP caching of the API's answers: Cache-Control, an ETag of the body and Last-Modified from
the newest check shown, and 304 Not Modified when the client's copy is still current."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from typing import Any

from fastapi import Request
from fastapi.responses import Response

CACHE_CONTROL = "public, max-age=300"  # data is refreshed every 30 minutes at the most

CACHED_HEADERS: dict[str, Any] = {
    "Cache-Control": {"schema": {"type": "string"}, "description": CACHE_CONTROL},
    "ETag": {"schema": {"type": "string"}, "description": "Hash of the body: send it back as If-None-Match"},
    "Last-Modified": {"schema": {"type": "string"}, "description": "The newest check among the data shown"},
}


def cached(
    request: Request, content: bytes, last_modified: dt.datetime | None, media_type: str = "application/json"
) -> Response:
    """The body with cache headers, or 304 Not Modified when the client's copy is still current."""
    etag = f'"{hashlib.blake2b(content, digest_size=16).hexdigest()}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if last_modified is not None:
        headers["Last-Modified"] = email.utils.format_datetime(last_modified.astimezone(dt.UTC), usegmt=True)
    if not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=media_type, headers=headers)


def not_modified(request: Request, etag: str, last_modified: dt.datetime | None) -> bool:
    """Whether the request's If-None-Match (or, without it, If-Modified-Since) matches."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since
