"""`hut-availability deploy [code-server | webserver | daemon | env]`: Dagster's production
topology, three separate processes on one PostgreSQL instance (`defs.deploy`)."""

from __future__ import annotations

import argparse

from ..argtypes import whole_number
from ..config import Settings
from .common import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # free of Dagster: `deploy --help` stays fast
    parser.add_argument(
        "--port", type=whole_number(1, 65535), default=3000, help="port of the Dagster UI on 127.0.0.1 (default: 3000)"
    )
    roles = parser.add_subparsers(dest="role", metavar="ROLE")
    code_server = roles.add_parser(
        "code-server",
        help="the code location's gRPC code server (dagster code-server start); listens on"
        " HUT_AVAILABILITY_CODE_SERVER_PORT (default 4000)",
    )
    code_server.add_argument(
        "--host", help="address to listen on (default: HUT_AVAILABILITY_CODE_SERVER_HOST, 127.0.0.1)"
    )
    webserver = roles.add_parser("webserver", help="the UI and GraphQL (dagster-webserver), on the code server")
    webserver.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    webserver.add_argument(
        "--port",
        dest="webserver_port",
        metavar="PORT",
        type=whole_number(1, 65535),
        default=3000,
        help="port (default: 3000)",
    )
    roles.add_parser("daemon", help="dagster-daemon run: run queue, sensors, schedules, run monitoring")
    env = roles.add_parser(
        "env", help='print `export` lines for plain dagster commands: eval "$(hut-availability deploy env)"'
    )
    env.add_argument(
        "--write",
        action="store_true",
        help="write them into the project's ./.env instead, which Dagster's own commands load"
        " (dagster dev, dg dev, dg check defs, dagster definitions validate, dagster job launch)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..supervisor import deploy

    if args.role is None:
        return deploy.run_all(settings, port=args.port)
    if args.role == "env":
        if args.write:
            from ..supervisor.instance import DOTENV, write_dotenv

            try:
                written = write_dotenv(settings)
            except OSError as exc:  # not a source checkout, or a read-only one
                raise UsageError(f"cannot write {DOTENV}: {exc}") from None
            print(f"wrote {', '.join(written)} into {DOTENV}")
            return 0
        return deploy.print_environment(settings)
    host, port = getattr(args, "host", None), getattr(args, "webserver_port", None)
    return deploy.run_role(args.role, settings, host=host, port=port)
