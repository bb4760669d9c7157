"""`/docs`: Swagger UI with its JavaScript and CSS served by the API itself, so the page works
offline (FastAPI's default page loads them from a CDN and is blank without one).

The assets come from the `swagger-ui-bundle-v2` package (Swagger UI 5: it renders the OpenAPI 3.1
FastAPI publishes; the older `swagger-ui-bundle` ships 4.x, which cannot), served as static files
next to the page, as FastAPI's "self-hosting JavaScript and CSS for docs" describes. There is no
/redoc: ReDoc would need a CDN too.
"""

from __future__ import annotations

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"


def add_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from local assets (create the app with docs_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )
