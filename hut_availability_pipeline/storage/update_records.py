"""`update_records`: what `hut-availability update` did, kept for Dagster to show as a run.

The command writes one row (`save_update_record`); the daemon's `update_record_sensor` lists the
new ones (`new_update_records`) and requests a run per row, which reads it (`read_update_record`)
and marks it logged (`mark_update_recorded`). The document itself is `refresh.record`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from .sqlfiles import query


@dataclass(frozen=True)
class NewUpdateRecord:
    """A record no run has logged yet."""

    record_id: int
    trigger: str
    huts: int


@dataclass(frozen=True)
class StoredUpdateRecord:
    """One row of `update_records`."""

    record_id: int
    created_at: dt.datetime
    trigger: str
    huts: int
    report: dict[str, Any]
    recorded_at: dt.datetime | None
    run_id: str | None


def save_update_record(conn: psycopg.Connection[Any], trigger: str, huts: int, document: dict[str, Any]) -> int:
    """Store the record of an update (committed); return its id."""
    with conn.transaction():
        row = conn.execute(
            query("update_record_insert"), {"trigger": trigger, "huts": huts, "report": Jsonb(document)}
        ).fetchone()
    assert row is not None, "INSERT ... RETURNING returned no row"
    return int(row[0])


def new_update_records(conn: psycopg.Connection[Any], after: int, limit: int = 100) -> list[NewUpdateRecord]:
    """Records after id `after` that no run has logged, oldest first, at most `limit`."""
    with conn.cursor(row_factory=class_row(NewUpdateRecord)) as cur:
        return cur.execute(query("update_record_new"), {"after": after, "limit": limit}).fetchall()


def read_update_record(conn: psycopg.Connection[Any], record_id: int) -> StoredUpdateRecord | None:
    """The record with this id, or None."""
    with conn.cursor(row_factory=class_row(StoredUpdateRecord)) as cur:
        return cur.execute(query("update_record_read"), {"record_id": record_id}).fetchone()


KEEP_LOGGED = dt.timedelta(days=30)
"""How long a logged record is kept: as long as Dagster keeps its run (dagster_maintenance_job)."""


def mark_update_recorded(conn: psycopg.Connection[Any], record_id: int, run_id: str) -> None:
    """Note that run `run_id` logged the record, and forget records logged more than KEEP_LOGGED
    ago (one transaction)."""
    now = dt.datetime.now(dt.UTC)
    with conn.transaction():
        conn.execute(query("update_record_mark"), {"record_id": record_id, "run_id": run_id, "recorded_at": now})
        conn.execute(query("update_record_forget"), {"cutoff": now - KEEP_LOGGED})
