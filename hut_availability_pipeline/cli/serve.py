"""`hut-availability serve`: the web front end and the HTTP API (`serving.app`) under uvicorn
(127.0.0.1 unless told otherwise). FastAPI and uvicorn are imported only when serving."""

from __future__ import annotations

import argparse

from ..argtypes import whole_number
from ..config import Settings
from .common import open_db

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `serve`: where to listen and how many database connections to use."""
    parser.description = (
        "Serve the web pages and the read-only HTTP API. Pages: / (map of free places), /huts/SLUG (a hut's"
        " calendar and trends), /huts/SLUG/nights/DATE (a night's booking curve and states), /browse (the"
        " availability table; /browse.csv its CSV), /tours (the tour planner). API: /v1/... (OpenAPI description at"
        " /openapi.json, docs at /docs)."
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=whole_number(0, 65535), default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--pool-size", type=whole_number(1), default=8, help="database connections at most (default: 8)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"), help="uvicorn's"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted; 0 on a clean shutdown."""
    import uvicorn

    from ..serving.app import create_app

    app = create_app(open_db(settings), settings, pool_size=args.pool_size)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False)
    return 0
