"""`hut-availability`: the command line. Thin: parse, call the engine or storage, print.

One module per command (group) in this package, each with `add_arguments(parser)` and
`run(args, settings) -> int`. A command's module is imported only when that command runs (or its
options are wanted for `--help`), so `hut-availability --help` and the commands that do not need
Dagster, FastAPI or hut-services start without them.

Exit status: 0 success, 1 some huts failed (they are named), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from .common import EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError

__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser", "main"]

# command -> (its module in this package, the one-line help shown by `hut-availability --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "update": ("update", "fetch availability and store it (default: the huts that are due)"),
    "huts": ("huts", "manage the huts table"),
    "show": ("show", "browse stored availability (read-only)"),
    "serve": ("serve", "serve the web pages (map, huts, nights, table) and the read-only HTTP API"),
    "dev": ("dev", "run Dagster (webserver + daemon) on the embedded database"),
    "deploy": ("deploy", "run Dagster for production: code server, webserver and daemon as separate processes"),
    "simulator": ("simulator", "serve a local simulation of hut-reservation.org"),
    "db": ("db", "database administration"),
    "watch": ("watch", "manage watches: be told when beds free up"),
    "alerts": ("alerts", "evaluate watches and deliver their notifications"),
    "history": ("history", "import, export or convert past checks"),
    "forecast": ("forecast", "forecast free places on the eve, sell-out and free-up chances; backtest"),
}


def command_module(command: str) -> ModuleType:
    """The module of `command` (imported now)."""
    return importlib.import_module(f"{__name__}.{COMMANDS[command][0]}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line. A command's options come from its module, imported only when
    `command` is that command (or None: every command)."""
    parser = argparse.ArgumentParser(
        prog="hut-availability",
        description="Track mountain-hut availability: current state and change history in PostgreSQL.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="work on the demo's data (the home of `dev --simulator`, $HUT_AVAILABILITY_HOME/demo), e.g. in a"
        " second terminal beside ./scripts/run.sh --simulator; `--demo dev` is `dev --simulator`",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text)
        if command in (None, name):
            command_module(name).add_arguments(command_parser)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named in `argv` (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def _demo(args: argparse.Namespace, settings: Any) -> Any:
    """`--demo`: the settings of the demo's home (`dev`: `dev --simulator`, which picks that home),
    every booking site of the registry the demo's simulator (its address as the running demo wrote
    it), unless a site's own setting (HRS_BASE_URL, TMB_BASE_URL, ...) names another."""
    from ..config import DEMO_HOME, SIMULATOR_URL_FILE
    from ..providers.registry import PROVIDERS

    if args.command == "dev":
        args.simulator = True
        return settings
    named = [name for name in ("DATABASE_URL", "DAGSTER_POSTGRES_URL", "DAGSTER_HOME") if os.environ.get(name)]
    if named:
        raise UsageError(f"--demo works on the demo's own embedded database; unset {', '.join(named)}")
    home = settings.resolved_home / DEMO_HOME
    update: dict[str, Any] = {"home": home}
    simulator = home / SIMULATOR_URL_FILE
    if simulator.exists():
        url = simulator.read_text(encoding="utf-8").strip()
        for name in (p.base_url_setting for p in PROVIDERS.values()):
            if name not in settings.model_fields_set:
                update[name] = url
    return settings.model_copy(update=update)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(words) or "")
    args = parser.parse_args(words)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # after parsing, so that --help (which exits there) loads neither pydantic nor psycopg
    from ..config import load_settings
    from ..errors import HutAvailabilityError

    try:
        settings = load_settings()  # every setting checked before any command starts
        if args.demo:
            settings = _demo(args, settings)
        status: int = command_module(args.command).run(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's shutdown
        return status
    except HutAvailabilityError as exc:  # every error of ours: its message, and its exit status
        print(f"hut-availability: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:
        # The reader went away (`show --format json | head`): stop quietly, as `cat` would. What is
        # still buffered must not fail again at exit, so stdout now goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("hut-availability: interrupted", file=sys.stderr)
        return 130
