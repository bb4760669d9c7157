"""update_records: kept by the command, listed by the sensor, marked by the run, forgotten after 30 days."""

from __future__ import annotations

from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.update_records import (
    NewUpdateRecord,
    mark_update_recorded,
    new_update_records,
    read_update_record,
    save_update_record,
)


def test_records_are_listed_after_the_cursor_until_logged_then_forgotten_after_30_days(db: Database) -> None:
    with db.connect() as conn:
        first = save_update_record(conn, "cli", 2, {"version": 1, "outcomes": []})
        second = save_update_record(conn, "chaos", 5, {"version": 1, "outcomes": [{"hut": "x"}]})
        assert new_update_records(conn, after=0) == [
            NewUpdateRecord(first, "cli", 2),
            NewUpdateRecord(second, "chaos", 5),
        ]
        assert new_update_records(conn, after=first) == [NewUpdateRecord(second, "chaos", 5)]
        mark_update_recorded(conn, first, "run-1")
        assert new_update_records(conn, after=0) == [NewUpdateRecord(second, "chaos", 5)]
        stored = read_update_record(conn, second)
        assert stored is not None and stored.report == {"version": 1, "outcomes": [{"hut": "x"}]}
        logged = read_update_record(conn, first)
        assert logged is not None and logged.run_id == "run-1" and logged.recorded_at is not None
        # a record logged 31 days ago goes when the next one is logged
        conn.execute(
            "UPDATE update_records SET recorded_at = recorded_at - interval '31 days' WHERE record_id = %s", (first,)
        )
        conn.commit()
        mark_update_recorded(conn, second, "run-2")
        assert read_update_record(conn, first) is None
        assert read_update_record(conn, second) is not None
        assert read_update_record(conn, 10**9) is None
