"""`hut-availability watch add | list | show | remove | test`: manage watches (no Dagster)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from ..config import Settings
from .common import EXIT_FAILED, EXIT_OK, UsageError, open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="watch_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="watch a hut's nights (--hut) or a tour (--tour A,B,C)")
    which = add.add_mutually_exclusive_group(required=True)
    which.add_argument("--hut", metavar="SLUG", help="the hut to watch")
    which.add_argument("--tour", metavar="SLUG,SLUG,...", help="huts in order, one night each")
    add.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="ISO date, today, weekend, ...")
    add.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="hut: last night; tour: last start")
    add.add_argument("--nights", type=int, default=1, help="consecutive nights at the hut (default 1)")
    add.add_argument("--beds", type=int, default=1, help="free places wanted on every night (default 1)")
    add.add_argument("--notify", required=True, metavar="URL", help="apprise URL: mailto://, ntfy://, json://, ...")
    add.add_argument("--name", help="a name for the watch (shown in its messages)")
    sub.add_parser("list", help="list the watches")
    for action, text in (("show", "show a watch and its last notification"), ("remove", "delete a watch")):
        sub.add_parser(action, help=text).add_argument("id", type=int)
    test = sub.add_parser("test", help="send a test message to the watch's channel now")
    test.add_argument("id", type=int)


def run(args: argparse.Namespace, settings: Settings) -> int:
    return {"add": _add, "list": _list, "show": _show, "remove": _remove, "test": _test}[args.watch_command](
        args, settings
    )


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from ..domain.dates import parse_date
    from ..domain.watches import WatchKind, WatchSpec
    from ..notify.channels import UnknownChannelError, check_url
    from ..storage.read_models import UnknownHutError
    from ..storage.watches import add_watch, hut_ids_by_slug

    try:
        date_from = parse_date(args.date_from, settings.zone)
        date_to = parse_date(args.date_to, settings.zone)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.hut is not None:
        kind, slugs = WatchKind.hut, [args.hut.strip()]
    else:
        kind, slugs = WatchKind.tour, [slug.strip() for slug in args.tour.split(",") if slug.strip()]
    today = dt.datetime.now(settings.zone).date()
    if date_to < today:
        raise UsageError(f"--to {date_to.isoformat()} is in the past (today is {today.isoformat()})")
    try:
        check_url(args.notify)
    except UnknownChannelError as exc:
        raise UsageError(str(exc)) from None
    db = open_db(settings)
    with db.connect() as conn:
        try:
            hut_ids = hut_ids_by_slug(conn, slugs)
        except UnknownHutError as exc:
            raise UsageError(str(exc)) from None
        try:
            spec = WatchSpec(kind, tuple(hut_ids), date_from, date_to, args.nights, args.beds)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        watch_id = add_watch(conn, spec, args.notify, args.name)
        chances = _chances(conn, slugs, date_from, date_to)
    print(f"watch {watch_id} added: {'/'.join(slugs)} {date_from.isoformat()}..{date_to.isoformat()}")
    for line in chances:
        print(line)
    return EXIT_OK


def _chances(conn: Any, slugs: list[str], date_from: dt.date, date_to: dt.date) -> list[str]:
    """For the watched nights with no free place now: the stored forecast's chance that a place
    frees up before the night (a tour's n-th hut is watched n nights later)."""
    from ..forecast.wording import frees_up_line
    from ..storage.forecasts import read_forecast

    lines = []
    for i, slug in enumerate(slugs):
        first, last = date_from + dt.timedelta(days=i), date_to + dt.timedelta(days=i)
        for f in read_forecast(conn, slug):
            if first <= f.date <= last and f.p_frees_up is not None:
                lines.append(f"  {slug} {f.date.isoformat()}: full now; {frees_up_line(f.p_frees_up)}")
    return lines


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from ..notify.channels import redact
    from ..storage.watches import read_watches

    with open_db(settings).connect() as conn:
        watches = read_watches(conn)
    if not watches:
        print("no watches (add one with: hut-availability watch add --help)")
    for w in watches:
        state = "expired" if w.expired_at else ("satisfied" if w.satisfied else "waiting")
        print(
            f"{w.id:>5}  {w.kind:<4}  {'→'.join(w.hut_slugs)}  {w.date_from}..{w.date_to}  nights {w.nights}"
            f"  beds {w.beds}  {state}  {redact(w.notify_url)}{'  ' + w.name if w.name else ''}"
        )
    return EXIT_OK


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from ..formatting import local_time
    from ..notify.channels import redact

    zone = settings.zone  # times for people: in the configured zone, labelled
    from ..storage.watches import read_watches

    with open_db(settings).connect() as conn:
        watches = read_watches(conn, [args.id])
        if not watches:
            raise UsageError(f"no watch {args.id} (see: hut-availability watch list)")
        w = watches[0]
        chances = _chances(conn, list(w.hut_slugs), w.date_from, w.date_to)
    lines = [
        f"watch {w.id}{' (' + w.name + ')' if w.name else ''}: {w.kind} {' → '.join(w.hut_names)}",
        f"  dates {w.date_from}..{w.date_to}, nights {w.nights}, beds {w.beds}",
        f"  notify {redact(w.notify_url)}",
        f"  created {local_time(w.created_at, zone)}",
        f"  state {'expired ' + local_time(w.expired_at, zone) + ' ' if w.expired_at else ''}"
        f"{'satisfied' if w.satisfied else 'not satisfied'}, episode {w.episode}",
    ]
    if w.notification_id is None:
        lines.append("  no notification yet")
    else:
        status = (
            f"delivered {local_time(w.delivered_at, zone)}"
            if w.delivered_at
            else f"not delivered, next attempt {local_time(w.next_attempt_at, zone)}"
        )
        lines.append(f"  last notification {w.notification_id}: {status}, attempts {w.attempts}")
        if w.last_error:
            lines.append(f"  last error: {w.last_error}")
    print("\n".join([*lines, *chances]))
    return EXIT_OK


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from ..storage.watches import remove_watch

    with open_db(settings).connect() as conn:
        if not remove_watch(conn, args.id):
            raise UsageError(f"no watch {args.id} (see: hut-availability watch list)")
    print(f"watch {args.id} removed")
    return EXIT_OK


def _test(args: argparse.Namespace, settings: Settings) -> int:
    from ..notify.delivery import deliver_due
    from ..notify.mail import MailServer
    from ..storage.watches import queue_test

    db = open_db(settings)
    with db.connect() as conn:
        try:
            queue_test(conn, args.id)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
    result = deliver_due(db, mailer=MailServer.of(settings.smtp_url, settings.mail_from, settings.public_url))
    print(f"test message queued; delivered {result.delivered}, failed {result.failed}")
    if result.failed:
        print(f"see the error with: hut-availability watch show {args.id}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
