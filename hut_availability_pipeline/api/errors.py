"""Answers other than 200 as JSON: the errors the OpenAPI description publishes (`ERRORS`) and
`json_answer`, which renders a `serving.errors.Failure` (decided there, for pages and API alike)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..serving.errors import ApiError, Failure
from . import models

__all__ = ["ERRORS", "ApiError", "json_answer"]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.Error, "description": "Bad date or parameter"},
    404: {"model": models.Error, "description": "Unknown hut"},
    503: {"model": models.Error, "description": "Database busy or unavailable: retry later"},
}


def json_answer(failure: Failure) -> JSONResponse:
    """A failure as the API answers it: `{"detail": ...}` with its status and headers."""
    return JSONResponse({"detail": failure.detail}, status_code=failure.status, headers=failure.headers)
