"""Connections to PostgreSQL (embedded by default, any server by DATABASE_URL) and migrations.

Takes values, not the settings: a database URL (or None: the embedded server) and the home
directory the embedded server lives under. `config.open_configured_database` is the one place
that turns the settings into those values.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

from ..errors import EXIT_USAGE, HutAvailabilityError
from .embedded import start_embedded_server
from .sqlfiles import migration_files, query, sql_dir

logger = logging.getLogger(__name__)

DATA_DATABASE = "hut_availability"
MIGRATION_LOCK_KEY = 7_303_181_001  # pg_advisory_xact_lock key that serializes migrations


class DatabaseUnavailableError(HutAvailabilityError, ConnectionError):
    """The configured database cannot be reached (or DATABASE_URL cannot be parsed): one line that
    names it, never its password."""

    exit_status = EXIT_USAGE


@dataclass(frozen=True)
class Database:
    """Where the data lives: a libpq connection string. Cheap to copy and to pass to processes."""

    conninfo: str

    @classmethod
    def at(cls, database_url: str | None, home: Path) -> Database:
        """The server of `database_url` (DATABASE_URL) when given; otherwise the embedded server
        under `home` (started when it does not run), with a database of its own (created on first
        use)."""
        if database_url:
            return cls(conninfo.make_conninfo(database_url))
        server = start_embedded_server(home)
        ensure_database(server, DATA_DATABASE)
        return cls(conninfo.make_conninfo(server, dbname=DATA_DATABASE))

    @contextmanager
    def connect(self, *, autocommit: bool = True, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
        """A fresh connection, closed on exit. Autocommit by default: every write of ours runs in
        an explicit `conn.transaction()` block, and reads never leave a transaction open."""
        conn = psycopg.connect(self.conninfo, autocommit=autocommit, **kwargs)
        try:
            yield conn
        finally:
            conn.close()

    def sqlalchemy_url(self, driver: str = "psycopg") -> str:
        """The same database as a SQLAlchemy URL (`postgresql+<driver>://`)."""
        from sqlalchemy.engine import URL

        params = conninfo.conninfo_to_dict(self.conninfo)
        host = str(params.pop("host", "") or "")
        query: dict[str, str] = {}
        tcp_host: str | None = host
        if host.startswith("/"):
            query["host"] = host
            tcp_host = None
        port = params.pop("port", None)
        url = URL.create(
            f"postgresql+{driver}",
            username=str(params.pop("user", "")) or None,
            password=str(params.pop("password", "")) or None,
            host=tcp_host or None,
            port=int(port) if port else None,
            database=str(params.pop("dbname", "")) or None,
            query={**query, **{k: str(v) for k, v in params.items()}},
        )
        return url.render_as_string(hide_password=False)

    def describe(self) -> str:
        """Where the database is, without any password (safe for logs and metadata)."""
        params = conninfo.conninfo_to_dict(self.conninfo)
        host = params.get("host") or "localhost"
        return f"{params.get('dbname', '?')} on {host}:{params.get('port', 5432)}"

    def migrate(self) -> list[str]:
        """Apply pending migrations (idempotent, safe to run concurrently); return those applied."""
        return migrate(self)


def ensure_database(server_conninfo: str, name: str) -> None:
    """Create database `name` on the server if it does not exist yet."""
    with psycopg.connect(server_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # created concurrently by another process


class ConstraintValidationError(HutAvailabilityError, RuntimeError):
    """Stored rows break a constraint that a migration added NOT VALID."""


def migrate(db: Database, up_to: str | None = None) -> list[str]:
    """Apply every migration of `sql/migrations` not yet recorded in `schema_migrations` (or those
    up to and including version `up_to`, e.g. "0003_trends"); return those applied. Then validate
    the constraints that migrations added NOT VALID (`validate_constraints`).

    Each migration runs in its own transaction under an advisory lock, so concurrent starters
    wait for each other and a failed migration leaves the database at the previous version.
    """
    applied: list[str] = []
    paths = migration_files()
    if up_to is not None:
        versions = [path.stem for path in paths]
        if up_to not in versions:
            raise ValueError(f"no migration {up_to!r} in {sql_dir() / 'migrations'} (there are {', '.join(versions)})")
        paths = paths[: versions.index(up_to) + 1]
    with db.connect() as conn:
        for path in paths:
            version = path.stem
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (version,)).fetchone()
                if done:
                    continue
                logger.info("applying migration %s", version)
                conn.execute(path.read_text(encoding="utf-8"))
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
        validate_constraints(conn)
    return applied


def validate_constraints(conn: psycopg.Connection[Any]) -> list[str]:
    """Validate every constraint of the schema that is NOT VALID yet, each in a transaction of its
    own; return their names.

    A migration adds a foreign key NOT VALID so that its own transaction does not scan the stored
    rows while it holds locks that make writers wait (new rows are checked from its commit on).
    VALIDATE CONSTRAINT scans them under a lock that lets writers go on (SHARE UPDATE EXCLUSIVE
    on the table, ROW SHARE on the referenced one). A stored row that breaks the constraint
    stops this with an error naming it; the constraint stays NOT VALID (and keeps checking new
    rows) until the row is fixed and this runs again (at the next start).
    """
    validated: list[str] = []
    for schema, table, name in conn.execute(query("migrate_unvalidated_constraints")).fetchall():
        logger.info("validating constraint %s of %s", name, table)
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                        sql.Identifier(schema, table), sql.Identifier(name)
                    )
                )
        except (psycopg.errors.ForeignKeyViolation, psycopg.errors.CheckViolation) as exc:
            raise ConstraintValidationError(
                f"constraint {name} of table {table} does not hold for rows stored before it was added:"
                f" {exc.diag.message_detail or exc}. Delete or correct those rows, then start again;"
                " new rows are checked already."
            ) from exc
        validated.append(name)
    return validated


def open_database(database_url: str | None, home: Path) -> Database:
    """The database of `database_url`, else the embedded server's under `home` (`Database.at`),
    migrated to the current schema; DatabaseUnavailableError when it cannot be reached."""
    try:
        db = Database.at(database_url, home)
    except psycopg.ProgrammingError as exc:  # libpq could not parse DATABASE_URL
        raise DatabaseUnavailableError(
            f"DATABASE_URL is not a valid connection URL: {_scrub(exc, database_url)}"
        ) from None
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(_unreachable(database_url, home, None, exc)) from None
    try:
        db.migrate()
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(_unreachable(database_url, home, db, exc)) from None
    return db


def _unreachable(database_url: str | None, home: Path, db: Database | None, exc: Exception) -> str:
    if database_url:
        where = f"DATABASE_URL ({db.describe()})" if db else "DATABASE_URL"
    else:
        where = f"the embedded server in {home.expanduser().resolve() / 'pg'}"
    return f"cannot connect to {where}: {_scrub(exc, database_url)}"


def _scrub(exc: Exception, database_url: str | None) -> str:
    """libpq's message on one line, with the password (if the URL has one) masked."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    password = None
    if database_url:
        with contextlib.suppress(psycopg.ProgrammingError):
            password = conninfo.conninfo_to_dict(database_url).get("password")
    return text.replace(str(password), "***") if password else text
