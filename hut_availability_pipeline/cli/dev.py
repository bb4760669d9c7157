"""`hut-availability dev`: Dagster's webserver and daemon on the project's database (`defs.dev`)."""

from __future__ import annotations

import argparse

from ..config import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..supervisor.dev_arguments import add_dev_arguments  # free of Dagster: `dev --help` stays fast

    add_dev_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..supervisor.dev import run_dev

    return run_dev(args, settings)
