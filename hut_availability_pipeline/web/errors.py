"""Errors of the pages as pages: a bad parameter, an unknown hut or a busy database answers the
API's status with the API's message, as HTML (the API's own paths keep their JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from ..api.errors import ApiError
from ..storage.read_models import UnknownHutError

API_PATHS = ("/v1/", "/openapi.json", "/docs")


def add_page_errors(app: FastAPI, render: Callable[[Request, int, str], Response]) -> None:
    """Wrap the API's handlers (add them first): on a page, the same status and message rendered by
    `render`; on the API's paths, the API's answer."""
    for kind in (ApiError, RequestValidationError, UnknownHutError):
        api_handler = app.exception_handlers[kind]

        def handler(request: Request, exc: Exception, api_handler: Any = api_handler) -> Response:
            answer: Response = api_handler(request, exc)
            if request.url.path.startswith(API_PATHS):
                return answer
            detail = json.loads(bytes(answer.body)).get("detail", "")
            page = render(request, answer.status_code, str(detail))
            if "retry-after" in answer.headers:
                page.headers["Retry-After"] = answer.headers["retry-after"]
            return page

        app.add_exception_handler(kind, handler)
