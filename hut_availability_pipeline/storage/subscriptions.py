"""Watches of people without an account, known only by an e-mail address (sql/migrations/0014):
a submission from the web stores a pending watch and queues its confirmation e-mail in the outbox,
both in one transaction, after the rate limits; the confirmation link activates the watch; an
unsubscribe link (or RFC 8058 one-click POST) deletes it, and the address with its last watch.

What is stored about a person is the address, the watches it asked for and their outbox messages;
a pending watch is deleted a day after it was asked for, an expired one (its nights have passed)
a day after it expired, and an address without watches at once (`purge`). The per-client counts
keep no address of a client, only a keyed hash, for an hour.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.rows import class_row

from ..domain.watches import WatchSpec
from ..errors import HutAvailabilityError
from .sqlfiles import query

SUBSCRIBER_CHANNEL = "subscriber"  # notify_url of a watch whose messages go to its subscriber's address
PENDING_FOR = dt.timedelta(days=1)  # an unconfirmed watch is deleted after this
EXPIRED_KEPT = dt.timedelta(days=1)  # an expired watch (its nights have passed) is deleted after this
LIMIT_WINDOW = dt.timedelta(hours=1)
ADDRESS_LIMIT = 5  # unconfirmed submissions per address per LIMIT_WINDOW
CLIENT_LIMIT = 20  # submissions per client per LIMIT_WINDOW (a hut's Wi-Fi, a family: one address)
MAX_ADDRESS_LENGTH = 254  # RFC 5321's path limit less the brackets

# An address as people type it: one @, no spaces or brackets, a dot in the domain. Whether it can
# receive mail is what the confirmation e-mail finds out.
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+\.[^\s@<>()\[\],;:\"\\]+$")


class InvalidAddressError(HutAvailabilityError, ValueError):
    """An e-mail address that cannot be one."""


class Refusal(StrEnum):
    """Why a submission was refused (nothing stored, nothing sent)."""

    address = "address"  # ADDRESS_LIMIT unconfirmed submissions for this address in the last hour
    client = "client"  # CLIENT_LIMIT submissions from this client in the last hour


@dataclass(frozen=True)
class Submission:
    """What a submission did: refused (and why), or the pending watch and its confirmation message."""

    refused: Refusal | None
    watch_id: int | None = None
    notification_id: int | None = None


@dataclass(frozen=True)
class PendingWatch:
    """A watch as its confirmation and unsubscribe pages show it."""

    id: int
    hut_names: list[str]
    date_from: dt.date
    date_to: dt.date
    beds: int
    pending: bool


def normalize_address(text: str) -> str:
    """The address as stored (trimmed, lower case); InvalidAddressError saying what is wrong."""
    address = text.strip().lower()
    if not address:
        raise InvalidAddressError("the e-mail address is missing")
    if len(address) > MAX_ADDRESS_LENGTH:
        raise InvalidAddressError(f"the e-mail address is longer than {MAX_ADDRESS_LENGTH} characters")
    if not _ADDRESS.match(address):
        raise InvalidAddressError(f"{address!r} is not an e-mail address (name@example.org)")
    return address


def purge(conn: psycopg.Connection[Any]) -> None:
    """Delete what is no longer needed: pending watches past their day, expired watches a day after
    they expired, addresses without a watch, per-client counts older than the limit's window."""
    with conn.transaction():
        conn.execute("DELETE FROM watches WHERE pending_until < now()")
        conn.execute("DELETE FROM watches WHERE subscriber_id IS NOT NULL AND expired_at < now() - %s", (EXPIRED_KEPT,))
        conn.execute("DELETE FROM subscribers s WHERE NOT EXISTS (SELECT FROM watches w WHERE w.subscriber_id = s.id)")
        conn.execute("DELETE FROM mail_submissions WHERE submitted_at < now() - %s", (LIMIT_WINDOW,))


def subscribe(
    conn: psycopg.Connection[Any],
    spec: WatchSpec,
    address: str,
    client: str,
    *,
    confirm_token: str,
    unsubscribe_token: str,
    title: str,
    body: str,
) -> Submission:
    """Store a pending watch of `address` (normalized) with its confirmation message (`title`,
    `body`, which carry the tokens' links) in the outbox, unless the address or the client
    (`client`: a keyed hash of its network address) is over its hourly limit. One transaction,
    serialized per address and per client, so that concurrent submissions cannot pass a limit."""
    purge(conn)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('mail-client:' || %s))", (client,))
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('mail-address:' || %s))", (address,))
        row = conn.execute(
            "SELECT count(*) FROM mail_submissions WHERE client = %s AND submitted_at > now() - %s",
            (client, LIMIT_WINDOW),
        ).fetchone()
        if row is not None and row[0] >= CLIENT_LIMIT:
            return Submission(Refusal.client)
        row = conn.execute(
            "SELECT count(*) FROM watches w JOIN subscribers s ON s.id = w.subscriber_id"
            " WHERE s.email = %s AND w.pending_until IS NOT NULL AND w.created_at > now() - %s",
            (address, LIMIT_WINDOW),
        ).fetchone()
        if row is not None and row[0] >= ADDRESS_LIMIT:
            return Submission(Refusal.address)
        row = conn.execute(
            "INSERT INTO subscribers (email) VALUES (%s)"
            " ON CONFLICT (email) DO UPDATE SET email = excluded.email RETURNING id",
            (address,),
        ).fetchone()
        assert row is not None
        subscriber_id = int(row[0])
        row = conn.execute(
            "INSERT INTO watches (kind, date_from, date_to, nights, beds, notify_url, subscriber_id,"
            " pending_until, confirm_token, unsubscribe_token)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, now() + %s, %s, %s) RETURNING id",
            (
                spec.kind.value,
                spec.date_from,
                spec.date_to,
                spec.nights,
                spec.beds,
                SUBSCRIBER_CHANNEL,
                subscriber_id,
                PENDING_FOR,
                confirm_token,
                unsubscribe_token,
            ),
        ).fetchone()
        assert row is not None
        watch_id = int(row[0])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO watch_huts (watch_id, position, hut_id, night_from, night_to) VALUES (%s, %s, %s, %s, %s)",
                [(watch_id, *hut_night) for hut_night in spec.hut_nights()],
            )
        row = conn.execute(
            "INSERT INTO notifications (watch_id, kind, episode, sequence, idempotency_key, title, body)"
            " VALUES (%s, 'confirm', 1, 0, %s, %s, %s) RETURNING id",
            (watch_id, f"watch-{watch_id}-confirm", title, body),
        ).fetchone()
        assert row is not None
        conn.execute("INSERT INTO mail_submissions (client) VALUES (%s)", (client,))
    return Submission(None, watch_id, int(row[0]))


def _watch_of(
    conn: psycopg.Connection[Any], confirm_token: str | None, unsubscribe_token: str | None
) -> PendingWatch | None:
    with conn.cursor(row_factory=class_row(PendingWatch)) as cur:
        return cur.execute(
            query("subscription_watch"), {"confirm_token": confirm_token, "unsubscribe_token": unsubscribe_token}
        ).fetchone()


def pending_watch(conn: psycopg.Connection[Any], confirm_token: str) -> PendingWatch | None:
    """The pending watch of a confirmation token (None: used, expired or unsubscribed)."""
    return _watch_of(conn, confirm_token, None)


def subscribed_watch(conn: psycopg.Connection[Any], unsubscribe_token: str) -> PendingWatch | None:
    """The watch of an unsubscribe token (None: already deleted)."""
    return _watch_of(conn, None, unsubscribe_token)


def confirm(conn: psycopg.Connection[Any], confirm_token: str) -> int | None:
    """Activate the pending watch of `confirm_token` (its token is used up); its id, or None when
    no pending watch has that token (used, expired, or unsubscribed)."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE watches SET pending_until = NULL, confirm_token = NULL"
            " WHERE confirm_token = %s AND pending_until > now() RETURNING id",
            (confirm_token,),
        ).fetchone()
    return None if row is None else int(row[0])


def unsubscribe(conn: psycopg.Connection[Any], unsubscribe_token: str) -> bool:
    """Delete the watch of `unsubscribe_token` (with its outbox messages), and its address when no
    other watch uses it; False when there was no such watch."""
    with conn.transaction():
        row = conn.execute(
            "DELETE FROM watches WHERE unsubscribe_token = %s RETURNING subscriber_id", (unsubscribe_token,)
        ).fetchone()
        if row is None:
            return False
        conn.execute(
            "DELETE FROM subscribers s WHERE s.id = %s"
            " AND NOT EXISTS (SELECT FROM watches w WHERE w.subscriber_id = s.id)",
            (row[0],),
        )
    return True
