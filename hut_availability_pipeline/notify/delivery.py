"""Deliver the outbox: every due notification once, in order, one sender at a time.

A sender holds a session advisory lock while it delivers, so the CLI's `alerts send` and a
Dagster run never send the same message at once; each notification is read FOR UPDATE SKIP LOCKED
and marked delivered (or failed, with its error and the next attempt after a backoff) in the
transaction that sent it. What was decided but not delivered when a process died is still in the
outbox and goes out with the next sender.

The guarantee is at least once: a crash while a message is being sent (the channel may have it,
its delivery is not recorded) sends that message again with the next sender. As one message is
in flight at a time, a crash doubles at most one message, and both copies carry the same
idempotency key (notify/channels.py: the last line; for generic webhooks also a header and a JSON
field) for receivers that drop duplicates. Tested with SIGKILL of a Dagster run mid-send
(defs/test_watches.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..storage.database import Database
from ..storage.watches import Notification, due_notifications, record_delivered, record_failed
from .channels import SendResult, redact, send

logger = logging.getLogger(__name__)

DELIVERY_LOCK_KEY = 7_303_181_011  # pg_advisory_lock key: one sender at a time


@dataclass(frozen=True)
class Delivery:
    delivered: int
    failed: int


Mailer = Callable[[Notification], SendResult]
"""Sends a notification of a watch of an e-mail address (notify/mail.py)."""

NO_MAILER = (
    "no SMTP server to send e-mail alerts (set HUT_AVAILABILITY_SMTP_URL, HUT_AVAILABILITY_MAIL_FROM"
    " and HUT_AVAILABILITY_PUBLIC_URL)"
)


def deliver_due(
    db: Database,
    *,
    limit: int = 500,
    sender: Callable[[str, str, str, str], SendResult] = send,
    mailer: Mailer | None = None,
    watch_id: int | None = None,
) -> Delivery:
    """Send every due notification (up to `limit`; only those of `watch_id`, if given); return how
    many went out and failed. Notifications of a watch of an e-mail address go through `mailer`
    (without one they fail, are kept and retried). With `watch_id` (the web, right after a
    submission) it takes no advisory lock, only the rows' locks: it never waits for a sender that
    is busy with other messages, and a message another sender holds is that sender's to send."""
    delivered = failed = 0
    with db.connect() as conn:
        if watch_id is None:
            conn.execute("SELECT pg_advisory_lock(%s)", (DELIVERY_LOCK_KEY,))
        try:
            while delivered + failed < limit:
                with conn.transaction():
                    due = due_notifications(conn, limit=1, watch_id=watch_id)
                    if not due:
                        break
                    notification = due[0]
                    if notification.email is not None:
                        result = mailer(notification) if mailer is not None else SendResult(False, NO_MAILER)
                    else:
                        result = sender(
                            notification.notify_url,
                            notification.title,
                            notification.body,
                            notification.idempotency_key,
                        )
                    if result.ok:
                        record_delivered(conn, notification.id)
                        delivered += 1
                    else:
                        delay = record_failed(conn, notification, result.error or "unknown error")
                        failed += 1
                        logger.warning(
                            "notification %s of watch %s to %s failed (%s); next attempt in %s",
                            notification.id,
                            notification.watch_id,
                            redact(notification.notify_url),
                            result.error,
                            delay,
                        )
        finally:
            if watch_id is None:
                conn.execute("SELECT pg_advisory_unlock(%s)", (DELIVERY_LOCK_KEY,))
    return Delivery(delivered, failed)
