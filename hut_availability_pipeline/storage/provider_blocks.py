"""The provider-level block of a booking source in PostgreSQL (`provider_status`): until when no
process may ask it again, so that a block one run met (403/429 answers, or the site unreachable)
holds for every other run and process too. The circuit breaker that decides it is
`providers.http.CircuitBreaker`; `refresh.engine` restores and records it around a refresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from .sqlfiles import query


def read_block(conn: psycopg.Connection[Any], source_organization_id: int) -> dt.datetime | None:
    """Until when the source is blocked, as stored (None: never blocked)."""
    row = conn.execute(
        query("provider_read_block"),
        {"source_organization_id": source_organization_id},
    ).fetchone()
    return row[0] if row else None


def write_block(
    conn: psycopg.Connection[Any], source_organization_id: int, blocked_until: dt.datetime, reason: str
) -> None:
    """Store that the source is blocked until `blocked_until`, since now, and why (one transaction)."""
    with conn.transaction():
        conn.execute(
            query("provider_record_block"),
            {
                "source_organization_id": source_organization_id,
                "blocked_until": blocked_until,
                "blocked_since": dt.datetime.now(dt.UTC),
                "reason": reason,
            },
        )
