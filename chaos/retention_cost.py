"""What retention costs on a large history: dropping a month partition vs DELETE of the same rows.

    .venv/bin/python -m chaos.retention_cost [--huts 1000] [--days 400] [--states 5]

Builds a history of huts × days × states rows (monthly partitions, as migration 0002 makes them)
in its own database `hut_availability_retention_cost` on the embedded server (or DATABASE_URL),
then times DELETE of one month's rows plus the VACUUM of the dead rows it leaves (January 2025)
against DROP of another month's partition of the same size (March 2025), both committed, with
the WAL each writes.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import psycopg
from psycopg import conninfo, sql

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server
from hut_availability_pipeline.storage.retention import history_partitions

DATABASE = "hut_availability_retention_cost"

_FILL = """
INSERT INTO hut_availability_history
    (hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status,
     first_checked, last_checked)
SELECT h.id, DATE '2025-01-01' + d, s, 40, s * 2.5, 'hut', 'possible',
       TIMESTAMPTZ '2024-06-01' + s * interval '1 day',
       CASE WHEN s < %(states)s THEN TIMESTAMPTZ '2024-06-01' + s * interval '1 day' + interval '1 hour' END
FROM huts h, generate_series(0, %(days)s - 1) AS d, generate_series(1, %(states)s) AS s
"""


def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] | None = None) -> Any:
    row = conn.execute(query, params).fetchone()  # type: ignore[call-overload]
    assert row is not None
    return row[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--huts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--states", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    db = Database(conninfo.make_conninfo(server, dbname=DATABASE))
    migrate(db)
    with db.connect() as conn:
        with conn.transaction():
            conn.execute(
                "INSERT INTO huts (slug, name) SELECT 'hut-' || i, 'Hut ' || i FROM generate_series(1, %s) AS i",
                (args.huts,),
            )
            conn.execute(
                "SELECT ensure_history_partitions(DATE '2025-01-01', DATE '2025-01-01' + %s::integer)", (args.days,)
            )
        started = time.perf_counter()
        with conn.transaction():
            conn.execute(_FILL, {"days": args.days, "states": args.states})  # type: ignore[arg-type]
        fill = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE hut_availability_history")
        total = conn.execute("SELECT count(*) FROM hut_availability_history").fetchone()
        months = history_partitions(conn)
        month, other = months[0], months[2]  # January and March 2025: 31 days each, the same rows
        rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(month.name))).fetchone()
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", (month.name,)).fetchone()

        wal = "SELECT pg_current_wal_insert_lsn()"
        lsn0 = _one(conn, wal)
        started = time.perf_counter()
        with conn.transaction():
            conn.execute(
                "DELETE FROM hut_availability_history WHERE availability_date >= %s AND availability_date < %s",
                (month.start, month.end),
            )
        delete = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(month.name)))
        vacuum = time.perf_counter() - started
        lsn1 = _one(conn, wal)

        started = time.perf_counter()
        with conn.transaction():
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(other.name)))
        drop = time.perf_counter() - started
        lsn2 = _one(conn, wal)
        wal_delete = _one(conn, "SELECT pg_size_pretty(pg_wal_lsn_diff(%s, %s))", (lsn1, lsn0))
        wal_drop = _one(conn, "SELECT pg_size_pretty(pg_wal_lsn_diff(%s, %s))", (lsn2, lsn1))

    assert total is not None and rows is not None and size is not None
    print(
        f"history: {total[0]:,} rows ({args.huts} huts × {args.days} days × {args.states} states),"
        f" filled in {fill:.1f} s"
    )
    print(f"month {month.name}: {rows[0]:,} rows, {size[0]} with indexes")
    print(f"DELETE of a month's rows (committed): {delete:.3f} s, then VACUUM of its dead rows: {vacuum:.3f} s;"
          f" {wal_delete} of WAL")  # fmt: skip
    print(f"DROP of a month's partition (committed): {drop:.4f} s, {wal_drop} of WAL"
          f" ({(delete + vacuum) / drop:.0f}× less time)")  # fmt: skip


if __name__ == "__main__":
    main()
