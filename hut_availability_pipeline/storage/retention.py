"""Monthly partitions of the change history and the retention policy that drops old ones.

The history is partitioned by RANGE (availability_date), one partition per month (0002). The
writer calls `ensure_partitions` before each batch (a no-op once a connection knows its months);
`apply_retention` drops the partitions whose whole month is older than the retention window
(cheap: a catalog operation, no row is read) and, when configured, deletes current-state rows of
past dates. Plain functions, no Dagster: the schedule in defs/housekeeping/retention.py calls them.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from .sqlfiles import query

logger = logging.getLogger(__name__)


# Months known to have a partition, per connection (a connection is one database).
_known: weakref.WeakKeyDictionary[psycopg.Connection[Any], set[dt.date]] = weakref.WeakKeyDictionary()


def month_of(day: dt.date) -> dt.date:
    """The first day of `day`'s month (the lower bound of its partition)."""
    return day.replace(day=1)


def ensure_partitions(conn: psycopg.Connection[Any], days: Iterable[dt.date]) -> int:
    """Make sure a history partition exists for the month of every date in `days`; return how many
    were created. Months this connection already ensured cost nothing; others cost one call of
    ensure_history_partitions(), in a transaction of its own unless one is open already (creating
    a partition locks the parent table until commit, and huts against writes for the foreign key
    the partition takes from its parent, so it must not wait for a whole batch)."""
    known = _known.setdefault(conn, set())
    missing = sorted({month_of(d) for d in days} - known)
    if not missing:
        return 0
    in_transaction = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        row = conn.execute(query("retention_ensure_partitions"), {"months": missing}).fetchone()
    created = int(row[0]) if row and row[0] is not None else 0
    if not in_transaction:  # inside a caller's transaction a rollback would undo them
        known.update(missing)
    if created:
        logger.info("created %d history partition(s) for %s..%s", created, missing[0], missing[-1])
    return created


def forget_partitions(conn: psycopg.Connection[Any]) -> None:
    """Forget the months `conn` ensured (after partitions were dropped through it)."""
    _known.pop(conn, None)


@dataclass(frozen=True)
class RetentionPolicy:
    """What to keep. History of availability dates older than `history_days` days is dropped,
    month by month (a month goes once its last day is older). Current-state rows of past dates are
    the final record of those dates and are kept unless `current_days` is set. The configured
    values (and their defaults) are the settings' `retention_*` fields, which the job passes in."""

    history_days: int
    current_days: int | None = None

    def __post_init__(self) -> None:
        if self.history_days < 1:
            raise ValueError(f"history_days must be at least 1, got {self.history_days}")
        if self.current_days is not None and self.current_days < 1:
            raise ValueError(f"current_days must be at least 1 (or None: keep), got {self.current_days}")


@dataclass
class HistoryPartition:
    """One monthly partition of the history: its name and [start, end) of availability dates."""

    name: str
    start: dt.date
    end: dt.date


@dataclass
class RetentionResult:
    """What a retention pass removed."""

    cutoff: dt.date
    dropped_partitions: list[str] = field(default_factory=list)
    dropped_history_rows: int = 0
    deleted_current_rows: int = 0


def history_partitions(conn: psycopg.Connection[Any]) -> list[HistoryPartition]:
    """The history's partitions, oldest first."""
    rows = conn.execute(query("retention_partitions")).fetchall()
    return [HistoryPartition(name=r[0], start=r[1], end=r[2]) for r in rows]


def apply_retention(
    conn: psycopg.Connection[Any], policy: RetentionPolicy, today: dt.date, *, dry_run: bool = False
) -> RetentionResult:
    """Drop history partitions whose every date is before `today - history_days`, and delete
    current-state rows older than `today - current_days` when configured. One transaction."""
    cutoff = today - dt.timedelta(days=policy.history_days)
    out = RetentionResult(cutoff=cutoff)
    with conn.transaction():
        for part in history_partitions(conn):
            if part.end > cutoff:
                continue
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(part.name))).fetchone()
            out.dropped_history_rows += int(row[0]) if row else 0
            out.dropped_partitions.append(part.name)
            if not dry_run:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(part.name)))
        if policy.current_days is not None:
            current_cutoff = today - dt.timedelta(days=policy.current_days)
            if dry_run:
                cur = conn.execute(query("retention_count_current"), {"cutoff": current_cutoff})
                row = cur.fetchone()
                out.deleted_current_rows = int(row[0]) if row else 0
            else:
                cur = conn.execute(query("retention_delete_current"), {"cutoff": current_cutoff})
                out.deleted_current_rows = cur.rowcount
    if out.dropped_partitions and not dry_run:
        forget_partitions(conn)
    logger.info(
        "retention (cutoff %s%s): dropped %d history partition(s) with %d row(s), deleted %d current row(s)",
        cutoff,
        ", dry run" if dry_run else "",
        len(out.dropped_partitions),
        out.dropped_history_rows,
        out.deleted_current_rows,
    )
    return out
