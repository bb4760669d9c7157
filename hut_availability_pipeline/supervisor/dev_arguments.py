"""The options of `hut-availability dev`, apart from `dev` itself: the command line builds its
parser from them without importing Dagster."""

from __future__ import annotations

import argparse

from ..argtypes import whole_number
from ..config import DEMO_HOME

WEB_PORT = 8000  # of the web front end and API beside Dagster (as `serve`)
DEMO_WEB_PORT = 8001  # the demo's: a real `dev` (scripts/run.sh) and the demo can run side by side


def add_dev_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hut-availability dev`."""
    parser.add_argument(
        "--port", type=whole_number(1, 65535), default=3000, help="port of the Dagster UI on 127.0.0.1 (default: 3000)"
    )
    parser.add_argument(
        "--web-port",
        type=whole_number(0, 65535),
        default=None,
        help="port of the web front end and API (`serve`) on 127.0.0.1, started beside Dagster on the same data"
        f" (default: {WEB_PORT}, with --simulator {DEMO_WEB_PORT}; 0: do not start it)",
    )
    parser.add_argument(
        "--simulator",
        action="store_true",
        help="also serve the local hut-reservation.org simulator and fetch from it (offline demo, in its own"
        f" home $HUT_AVAILABILITY_HOME/{DEMO_HOME})",
    )


def web_port(args: argparse.Namespace) -> int:
    """The web front end's port: --web-port, else the default of a real `dev` or of the demo."""
    if args.web_port is not None:
        return int(args.web_port)
    return DEMO_WEB_PORT if args.simulator else WEB_PORT
