"""Migrations upgrade a database in place: 0001 with data → 0002 (partitioned history) → 0004 (reference
checks per statement) loses nothing and keeps refusing rows of unknown huts."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg import conninfo, sql

from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.sqlfiles import migration_files
from hut_availability_pipeline.storage.writer import write_batch

from .helpers import START, T0, add_huts, history, result


@pytest.fixture
def db_0001(embedded_server: str) -> Database:
    """A fresh database with only migration 0001 applied (recorded as the migrator would)."""
    name = "hut_test_migrate_0001"
    with psycopg.connect(embedded_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(conninfo.make_conninfo(embedded_server, dbname=name))
    first = migration_files()[0]
    assert first.stem == "0001_initial"
    with db.connect() as conn, conn.transaction():
        conn.execute(
            "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(first.read_text(encoding="utf-8"))  # type: ignore[arg-type]
        conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (first.stem,))
    return db


def test_0001_upgrades_to_partitioned_history_without_data_loss(db_0001: Database) -> None:
    huts = add_huts(db_0001, 2)
    hut = huts[0]
    days = [START, START + dt.timedelta(days=40), START + dt.timedelta(days=400)]  # three months, two years
    t1, t2 = T0, T0 + dt.timedelta(hours=1)
    with db_0001.connect() as conn, conn.transaction():
        for day in days:
            conn.execute(
                "INSERT INTO hut_availability (hut_id, availability_date, free, total, occupancy_status,"
                " reservation_status, hut_type, first_checked, last_checked)"
                " VALUES (%s, %s, 5, 40, 'high', 'possible', 'hut', %s, %s)",
                (hut.hut_id, day, t2, t2),
            )
            conn.execute(
                "INSERT INTO hut_availability_history (hut_id, availability_date, free, total, hut_type,"
                " reservation_status, first_checked, last_checked) VALUES (%s, %s, 9, 40, 'hut', 'possible', %s, %s),"
                " (%s, %s, 5, 40, 'hut', 'possible', %s, NULL)",
                (hut.hut_id, day, t1, t1, hut.hut_id, day, t2),
            )
        before = conn.execute(
            "SELECT id, hut_id, availability_date, free, first_checked, last_checked FROM hut_availability_history"
            " ORDER BY id"
        ).fetchall()
        before_view = conn.execute("SELECT * FROM hut_availability_history_states ORDER BY id").fetchall()

    applied = migrate(db_0001)
    assert "0002_history_partitions" in applied

    with db_0001.connect() as conn:
        after = conn.execute(
            "SELECT id, hut_id, availability_date, free, first_checked, last_checked FROM hut_availability_history"
            " ORDER BY id"
        ).fetchall()
        assert after == before
        assert conn.execute("SELECT * FROM hut_availability_history_states ORDER BY id").fetchall() == before_view
        kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'hut_availability_history'").fetchone()
        assert kind == ("p",)  # partitioned
        parts = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'hut_availability_history'::regclass"
        ).fetchone()
        assert parts == (3,)
        # the one-open-state rule still holds on the partitioned table
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO hut_availability_history (hut_id, availability_date, hut_type, reservation_status,"
                " first_checked) VALUES (%s, %s, 'hut', 'possible', now())",
                (hut.hut_id, days[0]),
            )
        max_id = max(r[0] for r in before)

    # the writer keeps working on the upgraded table: ids continue, a change closes and opens
    with db_0001.connect() as conn:
        write_batch(conn, [result(hut, T0 + dt.timedelta(hours=2), [4])])
    states = history(db_0001, hut.hut_id, START)
    assert [s[0] for s in states] == [9, 5, 4]
    assert states[1][5] == t2 and states[2][5] is None
    with db_0001.connect() as conn:
        new_id = conn.execute("SELECT max(id) FROM hut_availability_history").fetchone()
    assert new_id is not None and new_id[0] > max_id

    # 0004 replaced the foreign keys by statement checks: still refused, and a deleted hut's rows go
    with db_0001.connect() as conn:
        fks = conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid IN ('hut_availability'::regclass, 'hut_availability_history'::regclass)"
        ).fetchone()
        assert fks == (0,)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                "INSERT INTO hut_availability_history (hut_id, availability_date, hut_type, reservation_status,"
                " first_checked) VALUES (999999, %s, 'hut', 'possible', now())",
                (days[0],),
            )
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # a partition made before 0004, named directly
            conn.execute(
                f"INSERT INTO hut_availability_history_{days[0]:%Y_%m} (hut_id, availability_date, hut_type,"  # noqa: S608
                " reservation_status, first_checked) VALUES (999999, %s, 'hut', 'possible', now())",
                (days[0],),
            )
        conn.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
        assert conn.execute("SELECT count(*) FROM hut_availability_history").fetchone() == (0,)


def test_migrations_are_idempotent(db: Database) -> None:
    assert migrate(db) == []
