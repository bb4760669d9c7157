"""Evaluating watches: which watches the latest changes touch, what each may notify, and the
notifications queued in the outbox, in one transaction (`hut-availability alerts evaluate`, the
Dagster sensor `watch_alerts_sensor`'s job).

The rules are pure (`domain.watches`: options, the re-notify decision, the message); the reads and
writes are set-based statements of `storage.watches`, a fixed number whatever the number of
watches. A watch's new memory (satisfied, episode, what was notified) and the notification it
decided are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from ..domain.watches import Option, WatchMemory, decide, message, options, window_passed
from ..storage.watches import (
    EvaluatedWatch,
    QueuedNotification,
    advance_change_cursor,
    change_cursor,
    changed_watch_ids,
    expire_watches,
    free_nights,
    hut_names,
    lock_watches,
    queue_notifications,
    remember,
)

# Changes are read again from this long before the last evaluation: a batch commits after the
# time of its checks, so a state first seen just before an evaluation may become visible after it.
# Evaluating a watch again decides nothing new (the re-notify rule), so overlap costs only time.
CHANGE_OVERLAP = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation did."""

    evaluated: int
    fired: int
    expired: int


def evaluate(conn: psycopg.Connection[Any], today: dt.date, watch_ids: Sequence[int] | None = None) -> Evaluation:
    """Evaluate the watches `watch_ids` (None: every active one) against the current state, in one
    transaction: expire those whose window has passed, apply the re-notify rule, and queue the
    notifications it decides in the outbox.

    Set-based: one statement locks the watches and one reads them, one reads the nights they can use
    (once per hut-date), one writes every watch's new memory and one queues the notifications,
    whatever the number of watches; the rules run in Python on what was read (domain/watches.py).
    """
    with conn.transaction():
        watches = lock_watches(conn, watch_ids)
        expired = [w.id for w in watches if window_passed(w.spec, today)]
        if expired:
            expire_watches(conn, expired)
        gone = set(expired)
        live = [w for w in watches if w.id not in gone]
        nights = free_nights(conn, [w.id for w in live], today)
        memories: list[WatchMemory] = []
        fired: list[tuple[EvaluatedWatch, list[Option], int, int]] = []
        for watch in live:
            found = options(watch.spec, nights, today)
            decision = decide(watch.memory, found, watch.sequence)
            memories.append(decision.memory)
            if decision.notify is not None:
                fired.append((watch, found, *decision.notify))
        if live:
            remember(conn, [w.id for w in live], memories)
        if fired:
            queue_notifications(conn, _messages(conn, fired))
    return Evaluation(evaluated=len(live), fired=len(fired), expired=len(expired))


def _messages(
    conn: psycopg.Connection[Any], fired: Sequence[tuple[EvaluatedWatch, list[Option], int, int]]
) -> list[QueuedNotification]:
    """The decided notifications with their messages (which name the huts)."""
    names = hut_names(conn, sorted({hut for watch, *_ in fired for hut in watch.hut_ids}))
    queued = []
    for watch, found, episode, sequence in fired:
        title, body = message(watch.spec, found, names, watch.name)
        queued.append(QueuedNotification(watch.id, episode, sequence, title, body))
    return queued


def evaluate_changes(
    conn: psycopg.Connection[Any], today: dt.date, overlap: dt.timedelta = CHANGE_OVERLAP
) -> Evaluation:
    """Evaluate the watches touching hut-dates changed since the last call (less `overlap`;
    the first call evaluates every active watch), then move the cursor to this call's start."""
    since, started = change_cursor(conn)
    ids = None if since is None else changed_watch_ids(conn, since - overlap, today)
    result = evaluate(conn, today, ids)
    advance_change_cursor(conn, started)
    return result
