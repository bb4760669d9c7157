"""`hut-availability serve`: the read-only HTTP API (`api`)."""

from __future__ import annotations

import argparse

from ..config import Settings
from .common import open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..api.serve import add_serve_arguments

    add_serve_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..api import run_serve

    return run_serve(args, open_db(settings), settings)
