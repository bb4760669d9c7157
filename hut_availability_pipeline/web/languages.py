"""`/language`: choosing the pages' language (kept in a cookie for a year), then back to the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from . import i18n

router = APIRouter(include_in_schema=False)

YEAR = 365 * 24 * 3600


@router.get("/language")
def choose_language(
    lang: Annotated[str, Query(pattern="^(" + "|".join(i18n.LANGUAGES) + ")$")],
    back: Annotated[str | None, Query(alias="next")] = None,
) -> RedirectResponse:
    """Remember `lang` and go back to `next` (a path of this site; "/" otherwise)."""
    response = RedirectResponse(i18n.safe_next(back), status_code=303)
    response.set_cookie(i18n.COOKIE, lang, max_age=YEAR, httponly=True, samesite="lax")
    return response
