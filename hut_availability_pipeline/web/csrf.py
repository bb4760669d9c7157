"""CSRF protection of the pages' forms without sessions (double-submit cookie): a page with a form
sets a random token in a cookie (HttpOnly, SameSite=Strict) and in the form; a submission is taken
only when the two are equal. Another site can make a browser submit a form here, but it can neither
read the cookie nor set it, so it cannot put the token into the form."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

COOKIE = "hut_csrf"
FIELD = "csrf"
MAX_AGE = 7 * 24 * 3600  # seconds


def csrf_token(request: Request) -> str:
    """The token of this browser (its cookie's, when it has a well-formed one), or a new one."""
    token = request.cookies.get(COOKIE, "")
    return token if 20 <= len(token) <= 100 and token.isascii() else secrets.token_urlsafe(32)


def remember(request: Request, response: Response, token: str) -> None:
    """Set the token's cookie on `response` (when the browser does not have it yet)."""
    if request.cookies.get(COOKIE) != token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=MAX_AGE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def valid(request: Request, submitted: str | None) -> bool:
    """Whether a form's token matches the browser's cookie (compared in constant time)."""
    cookie = request.cookies.get(COOKIE)
    return bool(cookie and submitted) and hmac.compare_digest(str(cookie).encode(), str(submitted).encode())
