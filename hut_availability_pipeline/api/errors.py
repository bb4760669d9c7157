"""Answers other than 200: `ApiError` (a status and a message that says what to do) and the
handlers that turn it, an unknown hut and a bad parameter into JSON errors that are never cached."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..storage.read_models import UnknownHutError
from . import models


class ApiError(Exception):
    """An answer other than 200: its status and a message that says what to do."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.Error, "description": "Bad date or parameter"},
    404: {"model": models.Error, "description": "Unknown hut"},
    503: {"model": models.Error, "description": "Database busy or unavailable: retry later"},
}


def api_error_response(exc: ApiError) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 503:
        headers["Retry-After"] = "5"
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


def _unknown_hut(request: Request, exc: Exception) -> JSONResponse:
    """Every endpoint that names a hut answers 404 when there is none, naming the unknown huts."""
    assert isinstance(exc, UnknownHutError)
    return api_error_response(ApiError(404, exc.what))


def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}" for e in exc.errors()
    )
    return JSONResponse({"detail": problems}, status_code=400, headers={"Cache-Control": "no-store"})


def add_error_handlers(app: FastAPI) -> None:
    """400 (not FastAPI's 422) for bad parameters, 404 for unknown huts, ApiError as it says."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(UnknownHutError, _unknown_hut)
    app.add_exception_handler(RequestValidationError, _bad_request)
