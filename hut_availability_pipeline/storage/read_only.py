"""Connections of the read side (the `show` browser, the HTTP API): nothing can write on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from .database import Database


def make_read_only(conn: psycopg.Connection[Any]) -> None:
    """Make every later transaction of this session read-only (writes fail with an error)."""
    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    if not conn.autocommit:
        conn.commit()


@contextmanager
def connect_read_only(db: Database, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
    """A connection (autocommit unless asked otherwise) on which nothing can be written."""
    kwargs.setdefault("autocommit", True)
    with db.connect(**kwargs) as conn:
        make_read_only(conn)
        yield conn
