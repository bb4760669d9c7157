"""The published OpenAPI description: FastAPI's, with 400 (not 422) for bad parameters and errors
as application/json also where the success is GeoJSON (FastAPI gives them the route's type)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The app's `openapi` method: generated once, then cached on the app."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    responses.pop("422", None)
                    for status, response in responses.items():
                        content = response.get("content")
                        if status != "200" and content:
                            response["content"] = {"application/json": next(iter(content.values()))}
            for unused in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
