"""Answers other than 200, decided once for the API and the pages: `ApiError` (a status and a
message that says what to do), and `failure_of`, which turns it, an unknown hut or a bad parameter
into a `Failure` (status, message, headers). The API renders a failure as JSON (`api/errors.py`),
the pages as HTML (`web/errors.py`); `add_error_handlers` picks one by the request's path, so
neither side reads the other's answer back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from ..errors import HutAvailabilityError
from ..storage.read_models import UnknownHutError

API_PATHS = ("/v1/", "/openapi.json", "/docs")


class ApiError(HutAvailabilityError):
    """An answer other than 200: its status and a message that says what to do."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Failure:
    """What a failed request answers, whoever renders it: the status, the message, the headers
    (never cached; a busy database says when to retry)."""

    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=lambda: {"Cache-Control": "no-store"})


def failure_of(exc: Exception) -> Failure:
    """400 (not FastAPI's 422) for bad parameters, naming each; 404 for an unknown hut; an
    `ApiError` as it says (503 with `Retry-After: 5`)."""
    if isinstance(exc, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}" for e in exc.errors()
        )
        return Failure(400, problems)
    if isinstance(exc, UnknownHutError):
        return Failure(404, exc.what)
    if isinstance(exc, ApiError):
        headers = {"Cache-Control": "no-store"}
        if exc.status == 503:
            headers["Retry-After"] = "5"
        return Failure(exc.status, exc.detail, headers)
    raise TypeError(f"no answer for {type(exc).__name__}")  # only the kinds registered below reach here


JsonRender = Callable[[Failure], Response]
PageRender = Callable[[Request, Failure], Response]


def add_error_handlers(app: FastAPI, api: JsonRender, page: PageRender | None = None) -> None:
    """One handler per kind of failure: on the API's paths (or without pages) `api` renders it,
    elsewhere `page`."""

    def handler(request: Request, exc: Exception) -> Response:
        failure = failure_of(exc)
        if page is None or request.url.path.startswith(API_PATHS):
            return api(failure)
        return page(request, failure)

    for kind in (ApiError, RequestValidationError, UnknownHutError):
        app.add_exception_handler(kind, handler)
