"""Migrations upgrade a database in place: 0001 with data → 0002 (partitioned history) → 0004 (reference
checks per statement) loses nothing and keeps refusing rows of unknown huts."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg import conninfo, sql

from hut_availability_pipeline.domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
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
        # 0005 appends the day state to the view (these states were bookable)
        view = conn.execute("SELECT * FROM hut_availability_history_states ORDER BY id").fetchall()
        assert view == [(*row, "bookable") for row in before_view]
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
                " day_state, first_checked) VALUES (%s, %s, 'hut', 'unknown', 'unknown', now())",
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
                " day_state, first_checked) VALUES (999999, %s, 'hut', 'unknown', 'unknown', now())",
                (days[0],),
            )
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # a partition made before 0004, named directly
            conn.execute(
                f"INSERT INTO hut_availability_history_{days[0]:%Y_%m} (hut_id, availability_date, hut_type,"  # noqa: S608
                " reservation_status, day_state, first_checked)"
                " VALUES (999999, %s, 'hut', 'unknown', 'unknown', now())",
                (days[0],),
            )
        conn.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
        assert conn.execute("SELECT count(*) FROM hut_availability_history").fetchone() == (0,)


def test_migrations_are_idempotent(db: Database) -> None:
    assert migrate(db) == []


def _database_at(server: str, name: str, last: str) -> Database:
    """A fresh database with the migrations up to and including `last` applied (as the migrator would)."""
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(conninfo.make_conninfo(server, dbname=name))
    with db.connect() as conn, conn.transaction():
        conn.execute(
            "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for path in migration_files():
            conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[arg-type]
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (path.stem,))
            if path.stem == last:
                break
    return db


def test_0005_gives_existing_rows_their_day_state_and_the_next_check_sees_no_change(embedded_server: str) -> None:
    """Rows written before 0005 keep their meaning: each parser outcome of 0004 gets its day state,
    a closed night's stored 0 free becomes "not published", and the same answer checked again after
    the upgrade is unchanged (no history row)."""
    db = _database_at(embedded_server, "hut_test_migrate_0004", "0004_set_based_references")
    (hut,) = add_huts(db, 1)
    # what the 0004 parser stored: (free, total, hut_type, reservation_status, occupancy_status)
    old = [
        (12, 40, "hut", "possible", "medium"),  # SERVICED with free places
        (0, 40, "hut", "not_possible", "full"),  # SERVICED, full
        (0, 0, "closed", "not_online", "unknown"),  # CLOSED: forced to 0 and 0
        (3, 8, "selfhut", "not_online", "high"),  # UNSERVICED: the winter room
        (None, 8, "selfhut", "not_online", "free_unknown"),  # winter room without a count
        (5, 30, "unknown", "unknown", "high"),  # an unknown hutStatus
    ]
    days = [START + dt.timedelta(days=i) for i in range(len(old))]
    with db.connect() as conn, conn.transaction():
        conn.execute("SELECT ensure_history_partitions(%s, %s)", (days[0], days[-1]))
        for day, (free, total, hut_type, status, occupancy) in zip(days, old, strict=True):
            conn.execute(
                "INSERT INTO hut_availability (hut_id, availability_date, source_organization_id, free, total,"
                " occupancy_status, reservation_status, hut_type, first_checked, last_checked)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (hut.hut_id, day, hut.source_organization_id, free, total, occupancy, status, hut_type, T0, T0),
            )
            conn.execute(
                "INSERT INTO hut_availability_history (hut_id, availability_date, free, total, hut_type,"
                " reservation_status, first_checked) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (hut.hut_id, day, free, total, hut_type, status, T0),
            )

    assert migrate(db) == [p.stem for p in migration_files() if p.stem >= "0005"]

    expected = [
        ("bookable", 12, 40),
        ("full", 0, 40),
        ("closed", None, 0),
        ("winter_room", 3, 8),
        ("winter_room", None, 8),
        ("unknown", 5, 30),
    ]
    with db.connect() as conn:
        current = conn.execute(
            "SELECT day_state, free, total FROM hut_availability ORDER BY availability_date"
        ).fetchall()
        states = conn.execute(
            "SELECT day_state, free, total FROM hut_availability_history ORDER BY availability_date"
        ).fetchall()
    assert current == states == expected

    # the same answer again, as the parser now maps it: nothing changed, nothing written to history
    with db.connect() as conn:
        before = conn.execute("SELECT xmin::text, * FROM hut_availability_history ORDER BY id").fetchall()
        for day, (free, total, hut_type, status, _), (state, _, _) in zip(days, old, expected, strict=True):
            again = result(hut, T0 + dt.timedelta(hours=1), [None if state == "closed" else free], start=day,
                           total=total, hut_type=HutTypeEnum(hut_type), status=ReservationStatusEnum(status),
                           state=DayState(state))  # fmt: skip
            counts = write_batch(conn, [again]).counts[hut.hut_id]
            assert (counts.unchanged, counts.changed, counts.history_inserted) == (1, 0, 0), day
        after = conn.execute("SELECT xmin::text, * FROM hut_availability_history ORDER BY id").fetchall()
    assert after == before


def test_0005_refuses_a_day_state_that_contradicts_its_places(db: Database) -> None:
    (hut,) = add_huts(db, 1)
    insert = (
        "INSERT INTO hut_availability_history (hut_id, availability_date, free, total, hut_type,"
        " reservation_status, day_state, first_checked) VALUES (%s, %s, %s, %s, 'hut', 'possible', %s, now())"
    )
    with db.connect() as conn:
        conn.execute("SELECT ensure_history_partitions(%s, %s)", (START, START))
        contradictions = [(0, 40, "bookable"), (None, 40, "bookable"), (3, 40, "full"),
                          (2, 0, "not_bookable_online"), (None, 40, "closed"), (1, 1, "sold_out")]  # fmt: skip
        for free, total, state in contradictions:
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(insert, (hut.hut_id, START, free, total, state))
        conn.execute(insert, (hut.hut_id, START, None, 0, "not_bookable_online"))
