"""A small thread-safe pool of read-only connections for the API's worker threads."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from ..storage.database import Database
from ..storage.queries import make_read_only


class PoolTimeout(Exception):
    """No connection became free in time (the server is overloaded: retry later)."""


class ConnectionPool:
    """At most `size` connections, opened on demand and reused (newest first); each one
    autocommit, read-only, in UTC and with a statement timeout. Broken connections are dropped."""

    def __init__(self, db: Database, size: int = 8, timeout: float = 10.0, statement_timeout_ms: int = 15000) -> None:
        if size < 1:
            raise ValueError(f"pool size must be at least 1, got {size}")
        self.db = db
        self.size = size
        self.timeout = timeout
        self.statement_timeout_ms = statement_timeout_ms
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection for one request; PoolTimeout when all are busy for `timeout` seconds."""
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        if not self._slots.acquire(timeout=self.timeout):
            raise PoolTimeout(f"all {self.size} database connections busy for {self.timeout:g} s")
        conn: psycopg.Connection[Any] | None = None
        try:
            conn = self._take()
            yield conn
        finally:
            if conn is not None:
                self._give_back(conn)
            self._slots.release()

    def _take(self) -> psycopg.Connection[Any]:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return self._open()
            if not (conn.closed or conn.broken):
                return conn

    def _open(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.db.conninfo, autocommit=True, application_name="hut-availability-api")
        make_read_only(conn)
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(self.statement_timeout_ms),))
        conn.execute("SET TimeZone = 'UTC'")  # times serialized by PostgreSQL (the GeoJSON) in UTC
        return conn

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        if self._closed or conn.closed or conn.broken or conn.info.transaction_status != TransactionStatus.IDLE:
            conn.close()
        else:
            self._idle.put(conn)

    def close(self) -> None:
        """Close the idle connections; connections in use are closed when given back."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    @property
    def idle(self) -> int:
        return self._idle.qsize()
