"""`hut-availability simulator`: serve the local simulation of hut-reservation.org;
`hut-availability simulator free --hut SLUG --date D --places N`: give a night of a hut free places
in the running simulator (a cancellation, so that a watch fires in the demo)."""

from __future__ import annotations

import argparse
import datetime as dt

from ..argtypes import whole_number
from ..config import DEMO_HOME, SIMULATOR_URL_FILE, Settings
from .common import EXIT_OK, UsageError, open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..simulator import add_arguments as add_simulator_arguments

    add_simulator_arguments(parser)
    actions = parser.add_subparsers(dest="simulator_command", metavar="ACTION")
    free = actions.add_parser(
        "free",
        help="give a night of a hut free places in the running simulator (e.g. of `run.sh --simulator`),"
        " as if beds were cancelled: a watch on that night fires at the next refresh",
    )
    free.add_argument("--hut", required=True, metavar="SLUG", help="the hut's slug (as `huts list` shows it)")
    free.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the night")
    free.add_argument("--places", type=whole_number(0), default=2, help="free places that night (default: 2)")
    free.add_argument(
        "--url",
        default=None,
        help=f"the simulator's address (default: the demo's, from <home>/{DEMO_HOME}/{SIMULATOR_URL_FILE})",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "simulator_command", None) == "free":
        return _free(args, settings)
    from ..simulator import config_from_args, run_simulator

    run_simulator(config_from_args(args), host=args.host, port=args.port)
    return EXIT_OK


def demo_home(settings: Settings) -> Settings:
    """The settings of the demo's home, unless they already are (`--demo`)."""
    home = settings.resolved_home
    return settings if home.name == DEMO_HOME else settings.model_copy(update={"home": home / DEMO_HOME})


def _free(args: argparse.Namespace, settings: Settings) -> int:
    import httpx

    from ..storage.huts import huts_by_slug

    try:
        night = dt.date.fromisoformat(args.date)
    except ValueError:
        raise UsageError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from None
    demo = demo_home(settings) if settings.database_url is None else settings
    url = args.url
    if url is None:
        path = demo.resolved_home / SIMULATOR_URL_FILE
        if not path.exists():
            raise UsageError(
                f"no simulator address in {path}: start the demo (./scripts/run.sh --simulator) or give --url"
            )
        url = path.read_text(encoding="utf-8").strip()
    with open_db(demo).connect() as conn:
        try:
            (hut,) = huts_by_slug(conn, [args.hut])
        except KeyError as exc:
            raise UsageError(f"{exc.args[0]} (the demo's huts: hut-availability --demo huts list)") from None
    if hut.source != "hrs":
        raise UsageError(f"{args.hut} is a {hut.source} hut: the simulator frees places of hut-reservation.org huts")
    params: dict[str, str | int] = {"hut": hut.source_hut_id, "date": night.isoformat(), "places": args.places}
    try:
        answer = httpx.post(f"{url.rstrip('/')}/_sim/free", params=params, timeout=10)
    except httpx.HTTPError as exc:
        raise UsageError(f"the simulator at {url} does not answer ({exc}): is the demo running?") from None
    body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    if answer.status_code != 200:
        raise UsageError(f"the simulator refused: {body.get('error') or answer.text}")
    print(
        f"{args.hut} {night.isoformat()}: {body['free']} of {body['total']} places free in the simulator at {url};"
        " stored at the hut's next refresh (or now: hut-availability --demo update --hut-slug"
        f" {args.hut})"
    )
    return EXIT_OK
