"""Errors of the pages as pages: a bad parameter, an unknown hut or a busy database answers the
status and message decided in `serving.errors.failure_of` (the API's own), as HTML."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from ..serving.errors import Failure, PageRender


def page_answer(render: Callable[[Request, int, str], Response]) -> PageRender:
    """A failure rendered by `render` as a page: the same status and message; a busy database's
    `Retry-After` kept."""

    def answer(request: Request, failure: Failure) -> Response:
        page = render(request, failure.status, failure.detail)
        if "Retry-After" in failure.headers:
            page.headers["Retry-After"] = failure.headers["Retry-After"]
        return page

    return answer
