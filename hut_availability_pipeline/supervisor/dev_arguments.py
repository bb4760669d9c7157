"""The options of `hut-availability dev`, apart from `dev` itself: the command line builds its
parser from them without importing Dagster."""

from __future__ import annotations

import argparse

from ..argtypes import whole_number
from ..config import DEMO_HOME


def add_dev_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hut-availability dev`."""
    parser.add_argument(
        "--port", type=whole_number(1, 65535), default=3000, help="port of the Dagster UI on 127.0.0.1 (default: 3000)"
    )
    parser.add_argument(
        "--web-port",
        type=whole_number(0, 65535),
        default=8000,
        help="port of the web front end and API (`serve`) on 127.0.0.1, started beside Dagster on the same data"
        " (default: 8000; 0: do not start it)",
    )
    parser.add_argument(
        "--simulator",
        action="store_true",
        help="also serve the local hut-reservation.org simulator and fetch from it (offline demo, in its own"
        f" home $HUT_AVAILABILITY_HOME/{DEMO_HOME})",
    )
