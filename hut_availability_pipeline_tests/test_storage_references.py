"""References of hut_availability and its history to huts and booking sources (migration 0004):
checked once per statement instead of by per-row foreign keys, with the same guarantees."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from hut_availability_pipeline.storage.retention import ensure_partitions
from hut_availability_pipeline.storage.writer import write_batch

from .helpers import START, T0, add_huts, add_huts_on, count, result

INSERT_CURRENT = (
    "INSERT INTO hut_availability (hut_id, availability_date, source_organization_id, occupancy_status,"
    " reservation_status, hut_type, day_state, first_checked, last_checked)"
    " VALUES (%s, %s, %s, 'empty', 'possible', 'hut', 'unknown', %s, %s)"
)
INSERT_HISTORY = (
    "INSERT INTO hut_availability_history (hut_id, availability_date, hut_type, reservation_status, day_state,"
    " first_checked) VALUES (%s, %s, 'hut', 'possible', 'unknown', %s)"
)
NO_SUCH_HUT = 999_999


def insert(conn: psycopg.Connection, table: str, hut_id: int, source_id: int = 1, day: dt.date = START) -> None:
    if table == "hut_availability":
        conn.execute(INSERT_CURRENT, (hut_id, day, source_id, T0, T0))
    else:
        conn.execute(INSERT_HISTORY, (hut_id, day, T0))


@pytest.fixture
def conn(any_db):
    with any_db.connect() as c:
        ensure_partitions(c, [START])
        yield c


@pytest.mark.parametrize("table", ["hut_availability", "hut_availability_history"])
def test_a_row_of_an_unknown_hut_is_refused_and_named(conn, table):
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"into {table}: hut {NO_SUCH_HUT} does not exist"):
        insert(conn, table, NO_SUCH_HUT)
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608 (fixed names)


@pytest.mark.parametrize("table", ["hut_availability", "hut_availability_history"])
def test_copy_of_rows_of_an_unknown_hut_is_refused(conn, table):
    (hut,) = add_huts_on(conn, 1)
    columns = "hut_id, availability_date, hut_type, reservation_status, day_state, first_checked"
    if table == "hut_availability":
        columns += ", occupancy_status, last_checked"
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"hut {NO_SUCH_HUT} does not exist"):
        with conn.transaction(), conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for i, hut_id in enumerate([hut.hut_id, hut.hut_id, NO_SUCH_HUT]):
                extra = ("empty", T0) if table == "hut_availability" else ()
                copy.write_row((hut_id, START + dt.timedelta(days=i), "hut", "possible", "unknown", T0, *extra))
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608


def test_rows_written_to_a_history_partition_directly_are_checked_too(conn):
    part = f"hut_availability_history_{START:%Y_%m}"
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"into {part}: hut {NO_SUCH_HUT} does not exist"):
        conn.execute(
            f"INSERT INTO {part} (hut_id, availability_date, hut_type, reservation_status, day_state,"  # noqa: S608
            " first_checked) VALUES (%s, %s, 'hut', 'possible', 'unknown', %s)",
            (NO_SUCH_HUT, START, T0),
        )


def test_moving_a_history_row_to_another_month_and_an_unknown_hut_is_refused(conn):
    (hut,) = add_huts_on(conn, 1)
    later = START + dt.timedelta(days=40)
    ensure_partitions(conn, [later])
    insert(conn, "hut_availability_history", hut.hut_id)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"hut {NO_SUCH_HUT} does not exist"):
        conn.execute("UPDATE hut_availability_history SET hut_id = %s, availability_date = %s", (NO_SUCH_HUT, later))
    conn.execute("UPDATE hut_availability_history SET availability_date = %s", (later,))  # same hut: allowed
    assert conn.execute("SELECT hut_id, availability_date FROM hut_availability_history").fetchall() == [
        (hut.hut_id, later)
    ]


def test_a_current_row_of_an_unknown_booking_source_is_refused(conn):
    (hut,) = add_huts_on(conn, 1)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="booking source 4242 does not exist"):
        insert(conn, "hut_availability", hut.hut_id, source_id=4242)
    insert(conn, "hut_availability", hut.hut_id, source_id=None)  # type: ignore[arg-type]  # no source: allowed


@pytest.mark.parametrize("table", ["hut_availability", "hut_availability_history"])
def test_moving_a_row_to_an_unknown_hut_is_refused_to_a_known_one_allowed(conn, table):
    hut, other = add_huts_on(conn, 2)
    insert(conn, table, hut.hut_id)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"hut {NO_SUCH_HUT} does not exist"):
        conn.execute(f"UPDATE {table} SET hut_id = %s", (NO_SUCH_HUT,))  # noqa: S608
    conn.execute(f"UPDATE {table} SET hut_id = %s", (other.hut_id,))  # noqa: S608
    assert conn.execute(f"SELECT hut_id FROM {table}").fetchall() == [(other.hut_id,)]  # noqa: S608
    if table == "hut_availability":
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="booking source 4242 does not exist"):
            conn.execute("UPDATE hut_availability SET source_organization_id = 4242")


def test_deleting_a_hut_deletes_its_state_and_history_only(any_db):
    hut, other = add_huts(any_db)
    with any_db.connect() as c:
        write_batch(c, [result(hut, T0, [5, 6]), result(other, T0, [7])])
        write_batch(c, [result(hut, T0 + dt.timedelta(hours=1), [4, 6])])
        c.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
        left = c.execute(
            "SELECT (SELECT array_agg(DISTINCT hut_id) FROM hut_availability),"
            " (SELECT array_agg(DISTINCT hut_id) FROM hut_availability_history),"
            " (SELECT array_agg(hut_id) FROM hut_fetch_status)"
        ).fetchone()
    assert left == ([other.hut_id], [other.hut_id], [other.hut_id])


def test_truncating_huts_empties_state_and_history(any_db):
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as c:
        write_batch(c, [result(hut, T0, [5])])
        c.execute("TRUNCATE huts CASCADE")
    assert count(any_db, "hut_availability") == 0
    assert count(any_db, "hut_availability_history") == 0


def test_renumbering_a_referenced_hut_or_source_or_deleting_the_source_is_refused(conn):
    hut, other = add_huts_on(conn, 2)
    insert(conn, "hut_availability", hut.hut_id)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="still referenced"):
        conn.execute("UPDATE huts SET id = %s WHERE id = %s", (NO_SUCH_HUT, hut.hut_id))
    conn.execute("UPDATE huts SET id = %s WHERE id = %s", (NO_SUCH_HUT, other.hut_id))  # no rows: allowed
    conn.execute("UPDATE huts SET source_organization_id = NULL, source_hut_id = NULL")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="still referenced"):
        conn.execute("DELETE FROM organizations WHERE slug = 'hrs'")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="still referenced"):
        conn.execute("UPDATE organizations SET id = 77 WHERE slug = 'hrs'")


def test_a_hut_delete_waits_for_a_transaction_inserting_its_rows(any_db):
    """The check locks the referenced huts FOR KEY SHARE, as a foreign key does: the delete waits,
    then removes the rows it could not see before (no orphan either way round)."""
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as writer, any_db.connect() as deleter:
        ensure_partitions(writer, [START])
        deleter.execute("SET lock_timeout = '300ms'")
        with writer.transaction():
            insert(writer, "hut_availability_history", hut.hut_id)
            with pytest.raises(psycopg.errors.LockNotAvailable):
                deleter.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
        deleter.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
    assert count(any_db, "hut_availability_history") == 0


def test_rows_for_a_hut_being_deleted_wait_and_are_refused(any_db):
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as writer, any_db.connect() as deleter:
        ensure_partitions(writer, [START])
        writer.execute("SET lock_timeout = '300ms'")
        with deleter.transaction():
            deleter.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
            with pytest.raises(psycopg.errors.LockNotAvailable):
                insert(writer, "hut_availability", hut.hut_id)
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"hut {hut.hut_id} does not exist"):
            insert(writer, "hut_availability", hut.hut_id)
    assert count(any_db, "hut_availability") == 0


def test_the_writer_runs_no_reference_check_on_an_unchanged_pass(any_db):
    """The row check fires only when a reference changes (the writer never changes one), and an
    unchanged pass inserts nothing, so neither check runs."""
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as c:
        write_batch(c, [result(hut, T0, [5, 6])])
        c.execute("SET track_functions = 'pl'")
        with c.transaction():  # the batch is a savepoint: its calls are in this transaction's statistics
            write_batch(c, [result(hut, T0 + dt.timedelta(hours=1), [5, 6])])
            unchanged = c.execute(CHECK_CALLS).fetchone()
            write_batch(c, [result(hut, T0 + dt.timedelta(hours=2), [5, 6, 7])])  # one new date
            one_new = c.execute(CHECK_CALLS).fetchone()
    assert unchanged == (0, 0)
    assert one_new == (2, 0)  # one statement check per table, no row check


CHECK_CALLS = (
    "SELECT coalesce(sum(calls) FILTER (WHERE funcname = 'check_hut_references'), 0),"
    " coalesce(sum(calls) FILTER (WHERE funcname = 'check_hut_reference_row'), 0)"
    " FROM pg_stat_xact_user_functions"
)
