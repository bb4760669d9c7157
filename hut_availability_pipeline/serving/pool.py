"""The API's read-only connections: a psycopg_pool pool whose connections are autocommit,
read-only, in UTC and under a statement timeout."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..storage.database import Database
from ..storage.read_only import make_read_only

__all__ = ["PoolTimeout", "read_only_pool"]


def read_only_pool(
    db: Database, size: int = 8, timeout: float = 10.0, statement_timeout_ms: int = 15000
) -> ConnectionPool[psycopg.Connection[Any]]:
    """At most `size` connections to `db`, opened as needed (one kept open); a request waits at
    most `timeout` seconds for one (then PoolTimeout: the server is overloaded). The pool drops
    connections that broke or were left inside a transaction."""
    if size < 1:
        raise ValueError(f"pool size must be at least 1, got {size}")

    def configure(conn: psycopg.Connection[Any]) -> None:
        make_read_only(conn)
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(statement_timeout_ms),))
        conn.execute("SET TimeZone = 'UTC'")  # times serialized by PostgreSQL (the GeoJSON) in UTC

    return ConnectionPool(
        db.conninfo,
        min_size=1,
        max_size=size,
        timeout=timeout,
        kwargs={"autocommit": True, "application_name": "hut-availability-api"},
        configure=configure,
        name="hut-availability-api",
        open=True,
    )
