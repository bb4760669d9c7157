"""`hut-availability simulator`: serve the local simulation of hut-reservation.org."""

from __future__ import annotations

import argparse

from ..config import Settings
from .common import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..simulator import add_arguments as add_simulator_arguments

    add_simulator_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..simulator import config_from_args, run_simulator

    run_simulator(config_from_args(args), host=args.host, port=args.port)
    return EXIT_OK
