"""Migrations upgrade a database in place: a database made at any earlier version, with data in it,
upgrades to the head without losing a row, and its references are then enforced by foreign keys
(0006; 0004 had replaced them by triggers). Every migration in sql/migrations is covered, including
ones added later, by building a database at each version in turn."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from hut_availability_pipeline.domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.storage.database import ConstraintValidationError, Database, migrate
from hut_availability_pipeline.storage.huts import bookable_huts
from hut_availability_pipeline.storage.sqlfiles import migration_files
from hut_availability_pipeline.storage.writer import write_batch

from .conftest import EXTERNAL_ENV
from .helpers import START, T0, add_huts, history, result

VERSIONS = [path.stem for path in migration_files()]
EARLIER = VERSIONS[:-1]
DAYS = [START, START + dt.timedelta(days=40), START + dt.timedelta(days=400)]  # three months, two years
NO_SUCH_HUT = 999_999
SOURCES_ADDED = {"0008_huetten_holiday_source": ("huetten-holiday",), "0010_sources_without_totals": ("tmb", "ffcam")}
"""Booking sources that a migration registers (rows it adds to organizations)."""
_names = itertools.count()

# The foreign keys of the two big tables at the head: (table, constraint, referenced table,
# ON DELETE: c = CASCADE, a = NO ACTION, validated).
FOREIGN_KEYS = [
    ("hut_availability", "hut_availability_hut_id_fkey", "huts", "c", True),
    ("hut_availability", "hut_availability_source_organization_id_fkey", "organizations", "a", True),
    ("hut_availability_history", "hut_availability_history_hut_id_fkey", "huts", "c", True),
]


@pytest.fixture(params=["embedded", "external"])
def server(request: pytest.FixtureRequest) -> str:
    """The embedded server, and again the external one when configured."""
    if request.param == "embedded":
        return str(request.getfixturevalue("embedded_server"))
    url = os.environ.get(EXTERNAL_ENV)
    if not url:
        pytest.skip(f"{EXTERNAL_ENV} is not set: no external PostgreSQL configured for the tests")
    return url


@pytest.fixture
def database_at(server: str) -> Iterator[Callable[[str], Database]]:
    """Makes fresh databases migrated up to a given version (dropped after the test)."""
    made: list[str] = []

    def make(version: str) -> Database:
        name = f"hut_test_migrate_{os.getpid()}_{next(_names)}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        db = Database(conninfo.make_conninfo(server, dbname=name))
        migrate(db, up_to=version)
        return db

    yield make
    with psycopg.connect(server, autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def seed(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """Two huts with current states, two history states each (one closed, one open) on three dates,
    fetch status and, where the version has them, trends; written with the columns of 0001 only, so
    that it works at every version (a later migration that adds a column without a default must
    be given a value here, where the version has the column, as the trends are). Returns the ids
    of the hut that is kept and of the one that is deleted after the upgrade."""
    conn.execute(
        "INSERT INTO huts (slug, name, source_organization_id, source_hut_id)"
        " SELECT h.slug, h.name, o.id, h.ref FROM organizations o,"
        " (VALUES ('kept-hut', 'Kept Hut', '101'), ('deleted-hut', 'Deleted Hut', '102')) AS h (slug, name, ref)"
        " WHERE o.slug = 'hrs'"
    )
    ids = dict(conn.execute("SELECT slug, id FROM huts").fetchall())
    kept, deleted = ids["kept-hut"], ids["deleted-hut"]
    state = _day_state_column(conn)  # from 0005 on: these states are bookable
    if conn.execute("SELECT to_regproc('ensure_history_partitions') IS NOT NULL").fetchone() == (True,):
        conn.execute("SELECT ensure_history_partitions(d, d) FROM unnest(%s::date[]) AS d", (DAYS,))
    t1, t2 = T0, T0 + dt.timedelta(hours=1)
    for hut_id, day in itertools.product((kept, deleted), DAYS):
        conn.execute(
            sql.SQL(
                "INSERT INTO hut_availability (hut_id, availability_date, source_organization_id, source_hut_id, free,"
                " total, occupancy_status, reservation_status, hut_type{}, first_checked, last_checked)"
                " SELECT %s, %s, source_organization_id, source_hut_id, 5, 40, 'high', 'possible', 'hut'{}, %s, %s"
                " FROM huts WHERE id = %s"
            ).format(*state),
            (hut_id, day, t2, t2, hut_id),
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO hut_availability_history (hut_id, availability_date, free, total, hut_type,"
                " reservation_status{}, first_checked, last_checked)"
                " VALUES (%s, %s, 9, 40, 'hut', 'possible'{}, %s, %s), (%s, %s, 5, 40, 'hut', 'possible'{}, %s, NULL)"
            ).format(state[0], state[1], state[1]),
            (hut_id, day, t1, t2, hut_id, day, t2),
        )
    conn.execute(
        "INSERT INTO hut_fetch_status (hut_id, last_attempt, last_success, last_rows) VALUES (%s, %s, %s, 3),"
        " (%s, %s, %s, 3)",
        (kept, t2, t2, deleted, t2, t2),
    )
    if conn.execute("SELECT to_regclass('hut_availability_trends') IS NOT NULL").fetchone() == (True,):
        conn.execute(
            "INSERT INTO hut_availability_trends (hut_id, availability_date, computed_at, free, total, is_full,"
            " booked_per_day, changes_last_week) SELECT id, %s, %s, 5, 40, false, array_fill(NULL::integer, ARRAY[7]),"
            " 1 FROM huts",
            (DAYS[0], t2),
        )
    return kept, deleted


def _day_state_column(conn: psycopg.Connection[Any]) -> tuple[sql.Composable, sql.Composable]:
    """The day state column and a bookable value for INSERTs, where the version has the column
    (0005 on); nothing before."""
    has = conn.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = 'hut_availability'::regclass AND attname = 'day_state'"
    ).fetchone()
    return (sql.SQL(", day_state"), sql.SQL(", 'bookable'")) if has else (sql.SQL(""), sql.SQL(""))


Snapshot = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def snapshot(conn: psycopg.Connection[Any], of: Snapshot | None = None) -> Snapshot:
    """Every row of every table and view of the schema (but the migrations' own record), by table:
    its columns and its rows in order. With `of`: the same tables and columns again (a migration
    may add tables and columns, but must keep those there were, and their values)."""
    if of is None:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
                " AND c.relkind IN ('r', 'p', 'v') AND c.relname <> 'schema_migrations' ORDER BY 1"
            )
        ]
        columns = {
            table: [
                row[0]
                for row in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                    " AND NOT attisdropped ORDER BY attnum",
                    (table,),
                )
            ]
            for table in tables
        }
    else:
        columns = {table: cols for table, (cols, _) in of.items()}
    out: Snapshot = {}
    for table, cols in columns.items():
        names = sql.SQL(", ").join(map(sql.Identifier, cols))
        query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(names, sql.Identifier(table), names)
        out[table] = (cols, conn.execute(query).fetchall())
    return out


def foreign_keys(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT conrelid::regclass::text, conname, confrelid::regclass::text, confdeltype, convalidated"
        " FROM pg_constraint WHERE contype = 'f' AND conparentid = 0"
        " AND conrelid IN ('hut_availability'::regclass, 'hut_availability_history'::regclass) ORDER BY 1, 2"
    ).fetchall()


def insert_current(conn: psycopg.Connection[Any], hut_id: int, source_id: int | None = 1) -> None:
    column, value = _day_state_column(conn)
    conn.execute(
        sql.SQL(
            "INSERT INTO hut_availability (hut_id, availability_date, source_organization_id, free, total,"
            " occupancy_status, reservation_status, hut_type{}, first_checked, last_checked)"
            " VALUES (%s, %s, %s, 5, 40, 'empty', 'possible', 'hut'{}, now(), now())"
        ).format(column, value),
        (hut_id, START - dt.timedelta(days=1), source_id),
    )


def insert_history(
    conn: psycopg.Connection[Any], hut_id: int, day: dt.date, table: str = "hut_availability_history"
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (hut_id, availability_date, free, total, hut_type, reservation_status, day_state,"
            " first_checked) VALUES (%s, %s, 5, 40, 'hut', 'possible', 'bookable', now())"
        ).format(sql.Identifier(table)),
        (hut_id, day),
    )


@pytest.mark.parametrize("version", EARLIER)
def test_a_database_of_an_earlier_version_upgrades_to_the_head_keeping_its_rows(database_at, version):
    db = database_at(version)
    with db.connect() as conn, conn.transaction():
        kept, deleted = seed(conn)
        before = snapshot(conn)

    assert migrate(db) == VERSIONS[VERSIONS.index(version) + 1 :]

    with db.connect() as conn:
        after = snapshot(conn, of=before)
        columns, rows = after["organizations"]
        new = [row for row in rows if row not in before["organizations"][1]]
        added = [s for v, slugs in SOURCES_ADDED.items() if v > version for s in slugs]
        assert sorted(row[1] for row in new) == sorted(added)
        after["organizations"] = (columns, [row for row in rows if row not in new])
        assert after == before  # nothing lost or changed; only the booking sources registered since
        assert foreign_keys(conn) == FOREIGN_KEYS
        unchecked = conn.execute(  # every partition has the parent's key, validated with it
            "SELECT inhrelid::regclass::text FROM pg_inherits i WHERE inhparent = 'hut_availability_history'::regclass"
            " AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = i.inhrelid AND c.contype = 'f'"
            " AND c.convalidated AND c.conparentid <> 0)"
        ).fetchall()
        assert unchecked == []
        triggers = conn.execute(  # 0004's reference triggers are gone, the per-partition ones too
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            " AND tgrelid IN (SELECT oid FROM pg_class WHERE relname LIKE 'hut_availability%'"
            " OR relname IN ('huts', 'organizations'))"
        ).fetchall()
        assert triggers == []

    with db.connect() as conn:  # rows of unknown huts and booking sources are refused, wherever written
        for write in (
            lambda: insert_current(conn, NO_SUCH_HUT),
            lambda: insert_current(conn, kept, source_id=4242),
            lambda: insert_history(conn, NO_SUCH_HUT, DAYS[0]),
            lambda: insert_history(conn, NO_SUCH_HUT, DAYS[1], f"hut_availability_history_{DAYS[1]:%Y_%m}"),
        ):
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                write()

    # the writer works on the upgraded schema, also in a month whose partition is made after the upgrade
    new_month = START + dt.timedelta(days=100)
    kept_ref = next(h for h in _refs(db) if h.hut_id == kept)
    with db.connect() as conn:
        write_batch(conn, [result(kept_ref, T0 + dt.timedelta(hours=2), [4])])
        write_batch(conn, [result(kept_ref, T0 + dt.timedelta(hours=2), [7], start=new_month)])
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            insert_history(conn, NO_SUCH_HUT, new_month, f"hut_availability_history_{new_month:%Y_%m}")
    assert [(s[0], s[5]) for s in history(db, kept, START)] == [
        (9, T0 + dt.timedelta(hours=1)),
        (5, T0 + dt.timedelta(hours=1)),  # closed at the last check that confirmed it
        (4, None),
    ]

    with db.connect() as conn:  # deleting a hut deletes its rows, and only its rows
        conn.execute("DELETE FROM huts WHERE id = %s", (deleted,))
        left = conn.execute(
            "SELECT (SELECT array_agg(DISTINCT hut_id) FROM hut_availability),"
            " (SELECT array_agg(DISTINCT hut_id) FROM hut_availability_history),"
            " (SELECT count(*) FROM hut_availability WHERE hut_id = %s),"
            " (SELECT count(*) FROM hut_availability_history WHERE hut_id = %s)",
            (kept, kept),
        ).fetchone()
    assert left == ([kept], [kept], len(DAYS) + 1, 2 * len(DAYS) + 2)


def _refs(db: Database) -> list[Any]:
    with db.connect() as conn:
        return bookable_huts(conn)


def test_rows_of_an_unknown_hut_stored_before_stop_the_validation_naming_the_key(database_at):
    """0006 adds the keys NOT VALID and the migrator validates them afterwards: a row that 0004's
    triggers let through (they had gaps) fails that validation with an error naming it. New rows
    are checked already; once the row is gone the next start validates the key."""
    db = database_at("0004_set_based_references")
    with db.connect() as conn, conn.transaction():
        seed(conn)
        conn.execute("ALTER TABLE hut_availability DISABLE TRIGGER USER")
        insert_current(conn, NO_SUCH_HUT)
        conn.execute("ALTER TABLE hut_availability ENABLE TRIGGER USER")

    with pytest.raises(
        ConstraintValidationError,
        match=rf"hut_availability_hut_id_fkey of table hut_availability .*Key \(hut_id\)=\({NO_SUCH_HUT}\) is not",
    ):
        migrate(db)

    with db.connect() as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == VERSIONS
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            insert_current(conn, NO_SUCH_HUT + 1)
        conn.execute("DELETE FROM hut_availability WHERE hut_id = %s", (NO_SUCH_HUT,))
    assert migrate(db) == []
    with db.connect() as conn:
        assert foreign_keys(conn) == FOREIGN_KEYS


def test_0001_upgrades_to_partitioned_history_keeping_ids_and_the_one_open_state_rule(database_at):
    db = database_at("0001_initial")
    with db.connect() as conn, conn.transaction():
        kept, _ = seed(conn)
        max_id = conn.execute("SELECT max(id) FROM hut_availability_history").fetchone()
    migrate(db)
    with db.connect() as conn:
        kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'hut_availability_history'").fetchone()
        assert kind == ("p",)  # partitioned
        parts = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'hut_availability_history'::regclass"
        ).fetchone()
        assert parts == (3,)
        with pytest.raises(psycopg.errors.UniqueViolation):  # the one-open-state rule holds on the partitioned table
            insert_history(conn, kept, DAYS[0])
        new_id = conn.execute(
            "INSERT INTO hut_availability_history (hut_id, availability_date, hut_type, reservation_status,"
            " day_state, first_checked) VALUES (%s, %s, 'hut', 'unknown', 'unknown', now()) RETURNING id",
            (kept, START + dt.timedelta(days=1)),
        ).fetchone()
    assert max_id is not None and new_id is not None and new_id[0] > max_id[0]  # ids continue


def test_migrations_are_idempotent(db: Database) -> None:
    assert migrate(db) == []


def test_0005_gives_existing_rows_their_day_state_and_the_next_check_sees_no_change(database_at) -> None:
    """Rows written before 0005 keep their meaning: each parser outcome of 0004 gets its day state,
    a closed night's stored 0 free becomes "not published", and the same answer checked again after
    the upgrade is unchanged (no history row)."""
    db = database_at("0004_set_based_references")
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


def test_0011_renames_non_ascii_slugs_by_the_discovery_rule_and_keeps_the_huts_rows(database_at) -> None:
    db = database_at("0009_watch_indexes")
    with db.connect() as conn:
        conn.execute(
            "INSERT INTO huts (slug, name, source_organization_id, source_hut_id)"
            " SELECT h.slug, h.name, o.id, h.ref FROM organizations o,"
            " (VALUES ('adamek-hütte-3', 'Adamek-Hütte', '3'), ('große-café-hütte', 'Große Café Hütte', '4'),"
            "  ('adamek-huette-3', 'Taken', '5'), ('plain-hut', 'Plain Hut', '6')) AS h (slug, name, ref)"
            " WHERE o.slug = 'huetten-holiday'"
        )
        ids = dict(conn.execute("SELECT source_hut_id, id FROM huts").fetchall())
    migrate(db)
    with db.connect() as conn:
        slugs = dict(conn.execute("SELECT source_hut_id, slug FROM huts").fetchall())
        after = dict(conn.execute("SELECT source_hut_id, id FROM huts").fetchall())
    assert slugs == {
        "3": "adamek-huette-3-3",  # the ASCII form is taken by hut 5: the source id appended
        "4": "grosse-cafe-huette",
        "5": "adamek-huette-3",
        "6": "plain-hut",
    }
    assert after == ids


def test_0010_takes_the_no_place_online_night_of_a_site_without_totals(db: Database) -> None:
    """free 0, total NULL is "no place online" (not bookable online); never bookable, never full."""
    (hut,) = add_huts(db, 1)
    insert = (
        "INSERT INTO hut_availability_history (hut_id, availability_date, free, total, hut_type,"
        " reservation_status, day_state, first_checked) VALUES (%s, %s, %s, %s, 'hut', 'not_possible', %s, now())"
    )
    with db.connect() as conn:
        conn.execute("SELECT ensure_history_partitions(%s, %s)", (START, START + dt.timedelta(days=3)))
        wrong = [(0, None, "bookable"), (0, 5, "not_bookable_online"), (3, None, "not_bookable_online"),
                 (0, None, "closed")]  # fmt: skip
        for free, total, state in wrong:
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(insert, (hut.hut_id, START, free, total, state))
        conn.execute(insert, (hut.hut_id, START, 0, None, "not_bookable_online"))
        conn.execute(insert, (hut.hut_id, START + dt.timedelta(days=1), 4, None, "bookable"))
        sources = {row[0] for row in conn.execute("SELECT slug FROM organizations")}
    assert {"tmb", "ffcam"} <= sources
