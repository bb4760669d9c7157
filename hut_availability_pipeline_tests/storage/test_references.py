"""References of hut_availability and its history to huts and booking sources: foreign keys
(migration 0006), declared once on the partitioned history and so on every partition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest

from hut_availability_pipeline.storage.retention import ensure_partitions
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import START, T0, add_huts, add_huts_on, count, result

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
HUT_KEY = {
    "hut_availability": "hut_availability_hut_id_fkey",
    "hut_availability_history": "hut_availability_history_hut_id_fkey",
}
SOURCE_KEY = "hut_availability_source_organization_id_fkey"
NO_SOURCE = 'Key (source_organization_id)=(4242) is not present in table "organizations".'
PARTITION = f"hut_availability_history_{START:%Y_%m}"


def insert(conn: psycopg.Connection, table: str, hut_id: int, source_id: int | None = 1, day: dt.date = START) -> None:
    if table == "hut_availability":
        conn.execute(INSERT_CURRENT, (hut_id, day, source_id, T0, T0))
    else:
        conn.execute(INSERT_HISTORY, (hut_id, day, T0))


@contextmanager
def refused(table: str, constraint: str, detail: str) -> Iterator[None]:
    """The block fails with foreign_key_violation of `constraint`, on `table` (a history row lands
    in its partition, which PostgreSQL names), with PostgreSQL's DETAIL naming the missing key."""
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as caught:
        yield
    diag = caught.value.diag
    assert (diag.table_name, diag.constraint_name, diag.message_detail) == (table, constraint, detail)


def no_hut(hut_id: int = NO_SUCH_HUT) -> str:
    return f'Key (hut_id)=({hut_id}) is not present in table "huts".'


@pytest.fixture
def conn(any_db):
    with any_db.connect() as c:
        ensure_partitions(c, [START])
        yield c


@pytest.mark.parametrize("table", ["hut_availability", "hut_availability_history"])
def test_a_row_of_an_unknown_hut_is_refused_and_named(conn, table):
    where = PARTITION if table == "hut_availability_history" else table
    with refused(where, HUT_KEY[table], no_hut()):
        insert(conn, table, NO_SUCH_HUT)
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608 (fixed names)


@pytest.mark.parametrize("table", ["hut_availability", "hut_availability_history"])
def test_copy_of_rows_of_an_unknown_hut_is_refused(conn, table):
    (hut,) = add_huts_on(conn, 1)
    columns = "hut_id, availability_date, hut_type, reservation_status, day_state, first_checked"
    if table == "hut_availability":
        columns += ", occupancy_status, last_checked"
    where = PARTITION if table == "hut_availability_history" else table
    with refused(where, HUT_KEY[table], no_hut()):
        with conn.transaction(), conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for i, hut_id in enumerate([hut.hut_id, hut.hut_id, NO_SUCH_HUT]):
                extra = ("empty", T0) if table == "hut_availability" else ()
                copy.write_row((hut_id, START + dt.timedelta(days=i), "hut", "possible", "unknown", T0, *extra))
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608


def test_rows_written_to_a_history_partition_directly_are_checked_too(conn):
    with refused(PARTITION, HUT_KEY["hut_availability_history"], no_hut()):
        conn.execute(
            f"INSERT INTO {PARTITION} (hut_id, availability_date, hut_type, reservation_status, day_state,"  # noqa: S608
            " first_checked) VALUES (%s, %s, 'hut', 'possible', 'unknown', %s)",
            (NO_SUCH_HUT, START, T0),
        )


def test_a_new_history_partition_has_the_parents_key_and_no_trigger(conn):
    later = START + dt.timedelta(days=70)
    assert ensure_partitions(conn, [later]) == 1
    part = f"hut_availability_history_{later:%Y_%m}"
    keys = conn.execute(
        "SELECT c.conname, p.conrelid::regclass::text, c.convalidated FROM pg_constraint c"
        " JOIN pg_constraint p ON p.oid = c.conparentid WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
        (part,),
    ).fetchall()
    assert keys == [("hut_availability_history_hut_id_fkey", "hut_availability_history", True)]
    triggers = conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", (part,)
    ).fetchall()
    assert triggers == []


def test_a_table_attached_as_a_history_partition_is_checked(conn):
    """The other gap of 0004's triggers: they never saw rows of a table attached as a partition."""
    month = dt.date(2027, 3, 1)
    part = f"hut_availability_history_{month:%Y_%m}"
    conn.execute(f"CREATE TABLE {part} (LIKE hut_availability_history INCLUDING CONSTRAINTS)")
    conn.execute(
        f"INSERT INTO {part} (id, hut_id, availability_date, hut_type, reservation_status, day_state,"  # noqa: S608
        " first_checked) VALUES (1, %s, %s, 'hut', 'possible', 'unknown', %s)",
        (NO_SUCH_HUT, month, T0),
    )
    with refused(part, HUT_KEY["hut_availability_history"], no_hut()):
        conn.execute(
            f"ALTER TABLE hut_availability_history ATTACH PARTITION {part}"
            f" FOR VALUES FROM ('{month}') TO ('{month.replace(month=4)}')"
        )


def test_moving_a_history_row_to_another_month_and_an_unknown_hut_is_refused(conn):
    (hut,) = add_huts_on(conn, 1)
    later = START + dt.timedelta(days=40)
    ensure_partitions(conn, [later])
    insert(conn, "hut_availability_history", hut.hut_id)
    with refused(f"hut_availability_history_{later:%Y_%m}", HUT_KEY["hut_availability_history"], no_hut()):
        conn.execute("UPDATE hut_availability_history SET hut_id = %s, availability_date = %s", (NO_SUCH_HUT, later))
    conn.execute("UPDATE hut_availability_history SET availability_date = %s", (later,))  # same hut: allowed
    assert conn.execute("SELECT hut_id, availability_date FROM hut_availability_history").fetchall() == [
        (hut.hut_id, later)
    ]


def test_a_current_row_of_an_unknown_booking_source_is_refused(conn):
    (hut,) = add_huts_on(conn, 1)
    with refused("hut_availability", SOURCE_KEY, NO_SOURCE):
        insert(conn, "hut_availability", hut.hut_id, source_id=4242)
    insert(conn, "hut_availability", hut.hut_id, source_id=None)  # no source: allowed


@pytest.mark.parametrize("table", ["hut_availability", "hut_availability_history"])
def test_moving_a_row_to_an_unknown_hut_is_refused_to_a_known_one_allowed(conn, table):
    hut, other = add_huts_on(conn, 2)
    insert(conn, table, hut.hut_id)
    where = PARTITION if table == "hut_availability_history" else table
    with refused(where, HUT_KEY[table], no_hut()):
        conn.execute(f"UPDATE {table} SET hut_id = %s", (NO_SUCH_HUT,))  # noqa: S608
    conn.execute(f"UPDATE {table} SET hut_id = %s", (other.hut_id,))  # noqa: S608
    assert conn.execute(f"SELECT hut_id FROM {table}").fetchall() == [(other.hut_id,)]  # noqa: S608
    if table == "hut_availability":
        with refused(table, SOURCE_KEY, NO_SOURCE):
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


def test_truncating_huts_needs_cascade_and_then_empties_state_and_history(any_db):
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as c:
        write_batch(c, [result(hut, T0, [5])])
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="referenced in a foreign key constraint"):
            c.execute("TRUNCATE huts")
        c.execute("TRUNCATE huts CASCADE")
    assert count(any_db, "hut_availability") == 0
    assert count(any_db, "hut_availability_history") == 0


def test_renumbering_a_referenced_hut_or_source_or_deleting_the_source_is_refused(conn):
    hut, other = add_huts_on(conn, 2)
    insert(conn, "hut_availability", hut.hut_id)
    hut_referenced = f'Key (id)=({hut.hut_id}) is still referenced from table "hut_availability".'
    with refused("hut_availability", "hut_availability_hut_id_fkey", hut_referenced):
        conn.execute("UPDATE huts SET id = %s WHERE id = %s", (NO_SUCH_HUT, hut.hut_id))
    conn.execute("UPDATE huts SET id = %s WHERE id = %s", (NO_SUCH_HUT, other.hut_id))  # no rows: allowed
    conn.execute("UPDATE huts SET source_organization_id = NULL, source_hut_id = NULL")
    still_referenced = 'Key (id)=(1) is still referenced from table "hut_availability".'
    with refused("hut_availability", SOURCE_KEY, still_referenced):
        conn.execute("DELETE FROM organizations WHERE slug = 'hrs'")
    with refused("hut_availability", SOURCE_KEY, still_referenced):
        conn.execute("UPDATE organizations SET id = 77 WHERE slug = 'hrs'")


def test_a_hut_delete_waits_for_a_transaction_inserting_its_rows(any_db):
    """The key check locks the referenced hut FOR KEY SHARE: the delete waits, then removes the
    rows it could not see before (no orphan either way round)."""
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


def test_a_hut_delete_under_repeatable_read_that_missed_newer_rows_fails_instead_of_leaving_them(any_db):
    """0004's triggers had a gap here: their cascade ran in the deleting transaction's snapshot and
    left rows committed after it behind. A foreign key's cascade fails to serialize instead (the
    delete can be retried), so no row outlives its hut."""
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as writer, any_db.connect() as deleter:
        ensure_partitions(writer, [START])
        with pytest.raises(psycopg.errors.SerializationFailure), deleter.transaction():
            deleter.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            assert deleter.execute("SELECT count(*) FROM hut_availability_history").fetchone() == (0,)  # snapshot
            insert(writer, "hut_availability_history", hut.hut_id)  # committed after it
            deleter.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
        assert count(any_db, "hut_availability_history") == 1  # the hut is still there, and so is its row
        deleter.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))  # retried
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
        with refused("hut_availability", HUT_KEY["hut_availability"], no_hut(hut.hut_id)):
            insert(writer, "hut_availability", hut.hut_id)
    assert count(any_db, "hut_availability") == 0


def test_the_writer_checks_keys_of_new_rows_only(any_db):
    """A key is checked for each inserted row and for an updated row only when the key changed;
    the writer's UPDATE rewrites source_organization_id with the same value, so an unchanged pass
    checks nothing. Seen in the scans of organizations, which only the key checks read."""
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as c:
        write_batch(c, [result(hut, T0, [5, 6])])
        unchanged = source_scans(c, lambda: write_batch(c, [result(hut, T0 + dt.timedelta(hours=1), [5, 6])]))
        one_new = source_scans(c, lambda: write_batch(c, [result(hut, T0 + dt.timedelta(hours=2), [5, 6, 7])]))
    assert unchanged == 0
    assert one_new == 1  # the new current row's booking source


def source_scans(conn: psycopg.Connection, write: Callable[[], object]) -> int:
    """Scans of organizations made by `write`, run as a transaction of its own (as the writer's
    batches are; statistics are not flushed before a transaction ends, so they can be read in it)."""
    with conn.transaction():
        before = conn.execute(SOURCE_SCANS).fetchone()
        write()
        after = conn.execute(SOURCE_SCANS).fetchone()
    assert before is not None and after is not None
    return int(after[0]) - int(before[0])


SOURCE_SCANS = (
    "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = 'organizations'"
)
