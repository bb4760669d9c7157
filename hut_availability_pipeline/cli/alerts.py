"""`hut-availability alerts send`: evaluate the watches touched by changes and deliver the outbox
(what the Dagster job runs too). No Dagster."""

from __future__ import annotations

import argparse
import datetime as dt

from ..config import Settings
from .common import EXIT_FAILED, EXIT_OK, open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    send = sub.add_parser("send", help="evaluate due watches now and deliver their notifications")
    send.add_argument("--all", action="store_true", help="evaluate every active watch, not only those changes touched")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..notify.delivery import deliver_due
    from ..notify.mail import MailServer
    from ..storage.subscriptions import purge
    from ..watches.evaluation import evaluate, evaluate_changes

    db = open_db(settings)
    today = dt.datetime.now(settings.zone).date()
    with db.connect() as conn:
        purge(conn)  # unconfirmed and long-expired watches of e-mail addresses, addresses left without one
        evaluation = evaluate(conn, today) if args.all else evaluate_changes(conn, today)
    print(
        f"evaluated {evaluation.evaluated} watch(es): {evaluation.fired} to notify, {evaluation.expired} expired",
        flush=True,
    )
    delivery = deliver_due(db, mailer=MailServer.of(settings.smtp_url, settings.mail_from, settings.public_url))
    print(f"delivered {delivery.delivered} notification(s), {delivery.failed} failed (retried later)")
    return EXIT_FAILED if delivery.failed else EXIT_OK
