"""`hut-availability show`: browse stored availability (read-only); the views are in `browse`."""

from __future__ import annotations

import argparse

from ..config import Settings
from .common import open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .browse import add_show_arguments

    add_show_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .browse import run_show

    return run_show(args, open_db(settings), settings)
