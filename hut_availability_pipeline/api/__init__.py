"""The read-only HTTP API: availability for a map (GeoJSON), one hut's days, and the trend of a
hut-date (`hut-availability serve`).

Why FastAPI: our data already comes as pydantic models (hut-services' schemas and enums, which the
response models reuse), FastAPI validates requests and serializes responses with them, and it
publishes an OpenAPI 3.1 description (`/openapi.json`, docs at `/docs`) generated from the same
models, so clients and our tests check responses against what the server says it returns.
"""

from __future__ import annotations

from typing import Any

from .serve import add_serve_arguments, run_serve

__all__ = ["add_serve_arguments", "create_app", "run_serve"]


def __getattr__(name: str) -> Any:
    """`create_app` on first use: FastAPI takes about a second to import, and the command line's
    `serve` options (this package's `serve` module) must not wait for it."""
    if name == "create_app":
        from ..serving.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
