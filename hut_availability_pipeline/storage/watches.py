"""Watches in PostgreSQL: adding, listing and removing them, what an evaluation reads and writes
(locked watches, the nights they can use, their memory, the change cursor), and the outbox of
notifications that notify/ delivers. The evaluation itself (one transaction, the rules of
domain/watches.py) is `watches.evaluation`.

The notification's idempotency key (watch, episode, sequence) is unique, so an evaluation run
twice, or by two processes at once, queues a message once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from ..domain.day_state import DayState
from ..domain.watches import Night, WatchKind, WatchMemory, WatchSpec
from .read_models import UnknownHutError
from .sqlfiles import query

RETRY_BASE = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(hours=6)


@dataclass(frozen=True)
class _WatchColumns:
    """The columns of a watch that make its spec and memory, shared by the row classes that read
    watches by name (their own columns follow)."""

    kind: str
    hut_ids: list[int]
    date_from: dt.date
    date_to: dt.date
    nights: int
    beds: int
    created_at: dt.datetime
    satisfied: bool
    episode: int
    notified_options: int
    notified_free: int

    @functools.cached_property
    def spec(self) -> WatchSpec:
        return WatchSpec(
            WatchKind(self.kind),
            tuple(self.hut_ids),
            self.date_from,
            self.date_to,
            self.nights,
            self.beds,
            self.created_at,
        )

    @property
    def memory(self) -> WatchMemory:
        return WatchMemory(self.satisfied, self.episode, self.notified_options, self.notified_free)


@dataclass(frozen=True)
class StoredWatch(_WatchColumns):
    """A watch as stored, with its huts in order and its newest notification (if any)."""

    id: int
    name: str | None
    notify_url: str
    expired_at: dt.datetime | None
    evaluated_at: dt.datetime | None
    hut_slugs: list[str]
    hut_names: list[str]
    notification_id: int | None
    notification_created_at: dt.datetime | None
    attempts: int | None
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_error: str | None
    delivered_at: dt.datetime | None


@dataclass(frozen=True)
class Notification:
    """One message of the outbox."""

    id: int
    watch_id: int
    idempotency_key: str
    title: str
    body: str
    notify_url: str
    attempts: int
    kind: str = "availability"
    # a watch of an address (storage/subscriptions.py): its address and unsubscribe token, its dates
    email: str | None = None
    unsubscribe_token: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def hut_ids_by_slug(conn: psycopg.Connection[Any], slugs: Sequence[str]) -> list[int]:
    """The ids of the huts `slugs`, in that order; UnknownHutError names every unknown slug."""
    rows = conn.execute("SELECT slug, id FROM huts WHERE slug = ANY(%s)", (list(slugs),)).fetchall()
    found = {slug: hut_id for slug, hut_id in rows}
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise UnknownHutError(*unknown)
    return [found[slug] for slug in slugs]


def add_watch(conn: psycopg.Connection[Any], spec: WatchSpec, notify_url: str, name: str | None = None) -> int:
    """Store a watch (created now, by the database's clock); return its id."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO watches (name, kind, date_from, date_to, nights, beds, notify_url)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (name, spec.kind.value, spec.date_from, spec.date_to, spec.nights, spec.beds, notify_url),
        ).fetchone()
        assert row is not None
        watch_id = int(row[0])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO watch_huts (watch_id, position, hut_id, night_from, night_to) VALUES (%s, %s, %s, %s, %s)",
                [(watch_id, *hut_night) for hut_night in spec.hut_nights()],
            )
    return watch_id


def read_watches(conn: psycopg.Connection[Any], ids: Sequence[int] | None = None) -> list[StoredWatch]:
    """The watches `ids` (None: all), by id."""
    with conn.cursor(row_factory=class_row(StoredWatch)) as cur:
        return cur.execute(query("watch_read"), {"ids": None if ids is None else list(ids)}).fetchall()


def remove_watch(conn: psycopg.Connection[Any], watch_id: int) -> bool:
    """Delete a watch with its notifications; False when there is no such watch."""
    with conn.transaction():
        return conn.execute("DELETE FROM watches WHERE id = %s", (watch_id,)).rowcount == 1


def changed_watch_ids(conn: psycopg.Connection[Any], since: dt.datetime, today: dt.date) -> list[int]:
    """Active watches touching a hut-date whose state changed at or after `since`."""
    rows = conn.execute(query("watch_changed"), {"since": since, "today": today}).fetchall()
    return sorted(int(row[0]) for row in rows)


@dataclass(frozen=True)
class EvaluatedWatch(_WatchColumns):
    """What the evaluation reads of a watch (sql/queries/watch_evaluate.sql)."""

    id: int
    name: str | None
    sequence: int


def lock_watches(conn: psycopg.Connection[Any], watch_ids: Sequence[int] | None) -> list[EvaluatedWatch]:
    """Lock the active watches `watch_ids` (None: every active one) for this transaction and read
    them (sql/queries/watch_lock.sql, watch_evaluate.sql)."""
    locked = conn.execute(query("watch_lock"), {"ids": None if watch_ids is None else list(watch_ids)}).fetchall()
    with conn.cursor(row_factory=class_row(EvaluatedWatch)) as cur:
        return cur.execute(query("watch_evaluate"), {"ids": [row[0] for row in locked]}).fetchall()


def expire_watches(conn: psycopg.Connection[Any], watch_ids: Sequence[int]) -> None:
    """Mark the watches expired, now (sql/queries/watch_expire.sql)."""
    conn.execute(query("watch_expire"), {"ids": list(watch_ids)})


def free_nights(
    conn: psycopg.Connection[Any], watch_ids: Sequence[int], today: dt.date
) -> dict[tuple[int, dt.date], Night]:
    """The nights that can count for the watches (bookable, a free place, from today on), by
    (hut, date), one mapping for all of them (sql/queries/watch_nights.sql)."""
    nights: dict[tuple[int, dt.date], Night] = {}
    if not watch_ids:
        return nights
    bookable = DayState.bookable
    with conn.cursor(binary=True) as cur:
        cur.execute(query("watch_nights"), {"watch_ids": list(watch_ids), "today": today})
        for hut_id, date, free, first_checked, link in cur.fetchall():
            if (hut_id, date) not in nights:
                nights[(hut_id, date)] = Night(bookable, free, first_checked, link)
    return nights


def remember(conn: psycopg.Connection[Any], watch_ids: Sequence[int], memories: Sequence[WatchMemory]) -> None:
    """Store each watch's new memory, in one statement (sql/queries/watch_remember.sql)."""
    conn.execute(
        query("watch_remember"),
        {
            "ids": list(watch_ids),
            "satisfied": [m.satisfied for m in memories],
            "episode": [m.episode for m in memories],
            "notified_options": [m.notified_options for m in memories],
            "notified_free": [m.notified_free for m in memories],
        },
    )


def hut_names(conn: psycopg.Connection[Any], hut_ids: Sequence[int]) -> dict[int, str]:
    """The names of the huts `hut_ids`, by id (sql/queries/watch_hut_names.sql)."""
    return dict(conn.execute(query("watch_hut_names"), {"ids": list(hut_ids)}).fetchall())


@dataclass(frozen=True)
class QueuedNotification:
    """A notification an evaluation decided, before it is in the outbox."""

    watch_id: int
    episode: int
    sequence: int
    title: str
    body: str

    @property
    def key(self) -> str:
        """The idempotency key: one message per watch, episode and sequence."""
        return f"watch-{self.watch_id}-episode-{self.episode}-{self.sequence}"


def queue_notifications(conn: psycopg.Connection[Any], notifications: Sequence[QueuedNotification]) -> None:
    """Write notifications into the outbox, in one statement; one already queued (its key) is
    kept (sql/queries/watch_queue.sql)."""
    conn.execute(
        query("watch_queue"),
        {
            "watch_ids": [n.watch_id for n in notifications],
            "episodes": [n.episode for n in notifications],
            "sequences": [n.sequence for n in notifications],
            "keys": [n.key for n in notifications],
            "titles": [n.title for n in notifications],
            "bodies": [n.body for n in notifications],
        },
    )


def change_cursor(conn: psycopg.Connection[Any]) -> tuple[dt.datetime | None, dt.datetime]:
    """Since when changes are still to be evaluated (None: never evaluated), and the database's now."""
    row = conn.execute(query("watch_cursor_read")).fetchone()
    assert row is not None  # migration 0007 inserts the one row
    return row[0], row[1]


def advance_change_cursor(conn: psycopg.Connection[Any], started: dt.datetime) -> None:
    """Move the cursor to `started` (never back; the first call sets it)."""
    with conn.transaction():
        conn.execute(query("watch_cursor_advance"), {"started": started})


def queue_test(conn: psycopg.Connection[Any], watch_id: int) -> int:
    """Queue a test message for the watch; its id (each test is a message of its own)."""
    with conn.transaction():
        watches = read_watches(conn, [watch_id])
        if not watches:
            raise LookupError(f"no watch {watch_id} (see: hut-availability watch list)")
        watch = watches[0]
        row = conn.execute(
            "INSERT INTO notifications (watch_id, kind, episode, sequence, idempotency_key, title, body)"
            " SELECT %(id)s, 'test', 1, coalesce(max(sequence) + 1, 0),"
            " 'watch-' || %(id)s || '-test-' || coalesce(max(sequence) + 1, 0), %(title)s, %(body)s"
            " FROM notifications WHERE watch_id = %(id)s AND kind = 'test' RETURNING id",
            {
                "id": watch_id,
                "title": f"Test: watch {watch_id}",
                "body": f"This is a test message of watch {watch_id} on {' → '.join(watch.hut_names)}.",
            },
        ).fetchone()
        assert row is not None
        return int(row[0])


def due_notifications(
    conn: psycopg.Connection[Any], limit: int = 100, watch_id: int | None = None
) -> list[Notification]:
    """Undelivered notifications whose next attempt is due (of the watch `watch_id`, if given),
    oldest first, locked for this transaction (others skip them)."""
    with conn.cursor(row_factory=class_row(Notification)) as cur:
        return cur.execute(
            "SELECT n.id, n.watch_id, n.idempotency_key, n.title, n.body, w.notify_url, n.attempts, n.kind,"
            " s.email, w.unsubscribe_token, w.date_from, w.date_to"
            " FROM notifications n JOIN watches w ON w.id = n.watch_id"
            " LEFT JOIN subscribers s ON s.id = w.subscriber_id"
            " WHERE n.delivered_at IS NULL AND n.next_attempt_at <= now()"
            " AND (%(watch_id)s::integer IS NULL OR n.watch_id = %(watch_id)s)"
            " ORDER BY n.id LIMIT %(limit)s FOR UPDATE OF n SKIP LOCKED",
            {"limit": limit, "watch_id": watch_id},
        ).fetchall()


def record_delivered(conn: psycopg.Connection[Any], notification_id: int) -> None:
    conn.execute(
        "UPDATE notifications SET delivered_at = now(), last_attempt_at = now(), attempts = attempts + 1,"
        " last_error = NULL WHERE id = %s",
        (notification_id,),
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, ... up to 6 h."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def record_failed(conn: psycopg.Connection[Any], notification: Notification, error: str) -> dt.timedelta:
    """Keep the error and schedule the next attempt with backoff; return the delay."""
    delay = retry_delay(notification.attempts + 1)
    conn.execute(
        "UPDATE notifications SET attempts = attempts + 1, last_attempt_at = now(), last_error = %s,"
        " next_attempt_at = now() + %s WHERE id = %s",
        (error[:2000], delay, notification.id),
    )
    return delay
