"""The batched writer: current state, history contract, change detection, concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest

from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import START, T0, add_huts, count, failure, history, result

MIN = dt.timedelta(minutes=1)


def test_first_fetch_creates_current_rows_and_open_states(any_db):
    hut, other = add_huts(any_db)
    with any_db.connect() as conn:
        out = write_batch(conn, [result(hut, T0, [5, 0, None]), result(other, T0, [40])])
    c = out.counts[hut.hut_id]
    assert (c.fetched, c.new, c.changed, c.unchanged, c.history_inserted) == (3, 3, 0, 0, 3)
    assert count(any_db, "hut_availability") == 4
    assert history(any_db, hut.hut_id, START) == [(5, 40, "hut", "possible", T0, None)]
    with any_db.connect() as conn:
        row = conn.execute(
            "SELECT occupancy_percent, occupancy_steps, occupancy_status, first_checked, last_checked"
            " FROM hut_availability WHERE hut_id = %s AND availability_date = %s",
            (hut.hut_id, START + dt.timedelta(days=1)),
        ).fetchone()
    assert row == (100.0, 100, "full", T0, T0)


def test_unchanged_pass_writes_nothing_to_history(any_db):
    (hut,) = add_huts(any_db, 1)
    with any_db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5, 6])])
        before = conn.execute("SELECT xmin::text, * FROM hut_availability_history").fetchall()
        out = write_batch(conn, [result(hut, T0 + 30 * MIN, [5, 6])])
        after = conn.execute("SELECT xmin::text, * FROM hut_availability_history").fetchall()
        last = conn.execute("SELECT DISTINCT last_checked FROM hut_availability").fetchall()
    assert before == after  # not even rewritten
    assert (out.counts[hut.hut_id].unchanged, out.counts[hut.hut_id].history_inserted) == (2, 0)
    assert last == [(T0 + 30 * MIN,)]


def test_change_closes_old_state_at_its_last_confirmation_and_opens_one(any_db):
    (hut,) = add_huts(any_db, 1)
    t1, t2, t3 = T0 + 30 * MIN, T0 + 60 * MIN, T0 + 90 * MIN
    with any_db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5])])
        write_batch(conn, [result(hut, t1, [5])])
        out = write_batch(conn, [result(hut, t2, [3])])
        write_batch(conn, [result(hut, t3, [3])])
        first_checked = conn.execute("SELECT first_checked FROM hut_availability").fetchone()
        view = conn.execute(
            "SELECT free, first_checked, last_checked, is_current, duration_seconds"
            " FROM hut_availability_history_states ORDER BY first_checked"
        ).fetchall()
    c = out.counts[hut.hut_id]
    assert (c.changed, c.history_inserted, c.history_closed) == (1, 1, 1)
    assert history(any_db, hut.hut_id, START) == [
        (5, 40, "hut", "possible", T0, t1),  # last confirmed at t1, superseded at t2
        (3, 40, "hut", "possible", t2, None),
    ]
    assert first_checked == (t2,)
    assert view == [(5, T0, t1, False, 1800.0), (3, t2, t3, True, 1800.0)]


@pytest.mark.parametrize(
    "field,second",
    [
        ("free", {"frees": [4]}),
        ("total", {"frees": [5], "total": 41}),
        ("hut_type", {"frees": [5], "hut_type": "selfhut"}),
        ("reservation_status", {"frees": [5], "status": "not_online"}),
    ],
)
def test_each_change_field_counts(db, field, second):
    from hut_availability_pipeline.domain.bookings import HutTypeEnum, ReservationStatusEnum

    (hut,) = add_huts(db, 1)
    kw = {}
    if "total" in second:
        kw["total"] = second["total"]
    if "hut_type" in second:
        kw["hut_type"] = HutTypeEnum(second["hut_type"])
    if "status" in second:
        kw["status"] = ReservationStatusEnum(second["status"])
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5])])
        out = write_batch(conn, [result(hut, T0 + MIN, second["frees"], **kw)])
    assert out.counts[hut.hut_id].changed == 1, field
    assert len(history(db, hut.hut_id, START)) == 2


def test_null_to_value_is_a_change_and_null_to_null_is_not(db):
    (hut,) = add_huts(db, 1)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [None, None])])
        out = write_batch(conn, [result(hut, T0 + MIN, [None, 7])])
    assert (out.counts[hut.hut_id].unchanged, out.counts[hut.hut_id].changed) == (1, 1)


def test_older_check_is_stale_and_ignored(db):
    (hut,) = add_huts(db, 1)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0 + 10 * MIN, [5])])
        out = write_batch(conn, [result(hut, T0, [1])])
    assert out.counts[hut.hut_id].stale == 1
    assert history(db, hut.hut_id, START) == [(5, 40, "hut", "possible", T0 + 10 * MIN, None)]


def test_dates_no_longer_returned_are_left_as_they_were(db):
    (hut,) = add_huts(db, 1)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5, 6, 7])])
        gone = result(hut, T0 + MIN, [5, 6, 7])
        assert gone.nights is not None
        del gone.nights[1]
        out = write_batch(conn, [gone])
        rows = conn.execute("SELECT availability_date, last_checked FROM hut_availability ORDER BY 1").fetchall()
    assert out.counts[hut.hut_id].missing == 1
    assert rows[1] == (START + dt.timedelta(days=1), T0)
    assert rows[0][1] == rows[2][1] == T0 + MIN


def test_failed_hut_records_status_and_keeps_data(db):
    hut, other = add_huts(db)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5]), result(other, T0, [6])])
        out = write_batch(conn, [failure(hut, T0 + MIN, "HTTP 503 after 4 attempts"), result(other, T0 + MIN, [2])])
        write_batch(conn, [failure(hut, T0 + 2 * MIN)])
        status = conn.execute(
            "SELECT last_attempt, last_success, consecutive_failures, last_error FROM hut_fetch_status"
            " WHERE hut_id = %s",
            (hut.hut_id,),
        ).fetchone()
    assert out.failed == {hut.hut_id: "HTTP 503 after 4 attempts"}
    assert out.counts[other.hut_id].changed == 1
    assert status == (T0 + 2 * MIN, T0, 2, "HTTP 500")
    assert history(db, hut.hut_id, START) == [(5, 40, "hut", "possible", T0, None)]


def test_a_failing_batch_is_rolled_back_whole(db):
    hut, other = add_huts(db)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [5])])
        bad = result(other, T0 + MIN, [5])
        object.__setattr__(bad.hut, "hut_id", 999_999)  # not a hut: violates the foreign key
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            write_batch(conn, [result(hut, T0 + MIN, [1]), bad])
    assert history(db, hut.hut_id, START) == [(5, 40, "hut", "possible", T0, None)]


def test_concurrent_writers_of_the_same_hut_keep_one_open_state(db):
    (hut,) = add_huts(db, 1)
    with db.connect() as conn:
        write_batch(conn, [result(hut, T0, [10] * 30)])
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            with db.connect() as conn:
                for k in range(10):
                    at = T0 + (2 * k + offset + 1) * MIN
                    write_batch(conn, [result(hut, at, [(k + offset) % 3] * 30)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.connect() as conn:
        open_states = conn.execute(
            "SELECT availability_date, count(*) FROM hut_availability_history WHERE last_checked IS NULL"
            " GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
        bad_order = conn.execute(
            "SELECT count(*) FROM hut_availability_history h JOIN hut_availability_history n"
            " ON n.hut_id = h.hut_id AND n.availability_date = h.availability_date"
            " AND n.first_checked > h.first_checked"
            " WHERE h.last_checked IS NULL OR h.last_checked > n.first_checked"
        ).fetchone()
        current = conn.execute("SELECT DISTINCT free, last_checked FROM hut_availability").fetchall()
        latest = conn.execute(
            "SELECT free, first_checked FROM hut_availability_history WHERE last_checked IS NULL LIMIT 1"
        ).fetchone()
    assert open_states == []
    assert bad_order == (0,)
    assert len(current) == 1 and current[0][0] == latest[0]
