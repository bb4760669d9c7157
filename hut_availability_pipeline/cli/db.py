"""`hut-availability db migrate | where | start | stop`: database administration."""

from __future__ import annotations

import argparse

from ..config import Settings
from .common import EXIT_OK, UsageError, open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("migrate", help="apply pending schema migrations")
    actions.add_parser("where", help="print where the database is (no password)")
    actions.add_parser(
        "start",
        help="start the embedded server and leave it running (Dagster's own commands, e.g. `dagster dev`,"
        " need it: after a reboot, or after `dev` stopped it)",
    )
    actions.add_parser("stop", help="stop the embedded server")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "stop":
        from ..storage.embedded import stop_embedded_server

        if settings.database_url:
            raise UsageError("DATABASE_URL is set: there is no embedded server to stop")
        print("stopped" if stop_embedded_server(settings.home) else "not running")
        return EXIT_OK
    if args.db_command == "start" and settings.database_url:
        raise UsageError("DATABASE_URL is set: there is no embedded server to start")
    print(open_db(settings).describe())  # opening starts the embedded server (it keeps running) and migrates
    return EXIT_OK
