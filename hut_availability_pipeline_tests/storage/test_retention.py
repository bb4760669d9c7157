"""Retention: old months of history are dropped as partitions; current state of past dates is kept."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from hut_availability_pipeline.config import ConfigError, load_settings
from hut_availability_pipeline.defs.housekeeping.retention import retention_job, retention_schedule
from hut_availability_pipeline.defs.resources import DatabaseResource
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.retention import (
    RetentionPolicy,
    apply_retention,
    ensure_partitions,
    history_partitions,
)
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import T0, add_huts, count, result

OLD = dt.date(2024, 1, 30)  # 2024-01 and 2024-02
TODAY = dt.date(2026, 7, 1)


def _fill(db: Database) -> None:
    """Two checks (a change on every date) for 2024-01-30 .. 2024-02-02 and 2026-06-29 .. 2026-07-02."""
    hut = add_huts(db, 1)[0]
    with db.connect() as conn:
        for start in (OLD, TODAY - dt.timedelta(days=2)):
            write_batch(conn, [result(hut, T0, [5, 5, 5, 5], start=start)])
            write_batch(conn, [result(hut, T0 + dt.timedelta(hours=1), [4, 4, 4, 4], start=start)])


def test_partitions_are_created_per_month_once(db: Database) -> None:
    with db.connect() as conn:
        assert ensure_partitions(conn, [dt.date(2030, 1, 5), dt.date(2030, 3, 1)]) == 2
        assert ensure_partitions(conn, [dt.date(2030, 1, 31)]) == 0
    with db.connect() as conn:  # a new connection asks the database, which already has them
        assert ensure_partitions(conn, [dt.date(2030, 3, 9)]) == 0
        names = [p.name for p in history_partitions(conn)]
    assert names == ["hut_availability_history_2030_01", "hut_availability_history_2030_03"]


def test_retention_drops_old_months_and_keeps_current_state(db: Database) -> None:
    _fill(db)
    assert count(db, "hut_availability_history") == 16
    with db.connect() as conn:
        dry = apply_retention(conn, RetentionPolicy(history_days=400), TODAY, dry_run=True)
        assert dry.dropped_partitions == ["hut_availability_history_2024_01", "hut_availability_history_2024_02"]
        assert count(db, "hut_availability_history") == 16
        done = apply_retention(conn, RetentionPolicy(history_days=400), TODAY)
        assert done.dropped_history_rows == 8
        assert done.cutoff == TODAY - dt.timedelta(days=400)
        assert [p.name for p in history_partitions(conn)] == [
            "hut_availability_history_2026_06",
            "hut_availability_history_2026_07",
        ]
    assert count(db, "hut_availability_history") == 8
    assert count(db, "hut_availability") == 8  # the final record of past dates stays
    # the writer recreates a dropped month when data for it arrives again
    hut = add_huts(db, 1)[0]
    with db.connect() as conn:
        apply_retention(conn, RetentionPolicy(history_days=400), TODAY)
        write_batch(conn, [result(hut, T0 + dt.timedelta(hours=2), [3], start=OLD)])


def test_a_month_is_dropped_only_when_all_of_it_is_older(db: Database) -> None:
    _fill(db)
    with db.connect() as conn:
        # cutoff 2024-02-15: January goes, February (partly newer) stays
        res = apply_retention(conn, RetentionPolicy(history_days=(TODAY - dt.date(2024, 2, 15)).days), TODAY)
    assert res.dropped_partitions == ["hut_availability_history_2024_01"]


def test_current_state_of_past_dates_can_be_removed_when_configured(db: Database) -> None:
    _fill(db)
    with db.connect() as conn:
        res = apply_retention(conn, RetentionPolicy(history_days=400, current_days=30), TODAY)
    assert res.deleted_current_rows == 4
    assert count(db, "hut_availability") == 4


def test_policy_validation_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    default = load_settings()
    assert (default.retention_history_days, default.retention_current_days) == (400, None)
    monkeypatch.setenv("HUT_AVAILABILITY_RETENTION_HISTORY_DAYS", "90")
    monkeypatch.setenv("HUT_AVAILABILITY_RETENTION_CURRENT_DAYS", "800")
    configured = load_settings()
    assert (configured.retention_history_days, configured.retention_current_days) == (90, 800)
    monkeypatch.setenv("HUT_AVAILABILITY_RETENTION_HISTORY_DAYS", "ninety")
    with pytest.raises(ConfigError, match="HUT_AVAILABILITY_RETENTION_HISTORY_DAYS='ninety'"):
        load_settings()
    with pytest.raises(ValueError, match="history_days must be at least 1"):
        RetentionPolicy(history_days=0)
    with pytest.raises(ValueError, match="current_days must be at least 1"):
        RetentionPolicy(history_days=400, current_days=0)


@pytest.mark.parametrize(("by_config", "remaining"), [(True, 8), (False, 16)], ids=["run config", "settings"])
def test_retention_job_runs_in_dagster(db: Database, by_config: bool, remaining: int) -> None:
    """The window is the run's config when it has one, else the settings' (here 10,000 days: nothing
    is old enough; the default of 400 would drop 2024)."""
    _fill(db)
    days = (dt.date.today() - dt.date(2025, 6, 1)).days  # cutoff between the two filled periods
    outcome = retention_job.execute_in_process(
        run_config={"ops": {"apply_retention_op": {"config": {"history_days": days} if by_config else {}}}},
        resources={
            "database": DatabaseResource(conninfo=db.conninfo),
            "settings": load_settings(retention_history_days=10_000),
        },
    )
    assert outcome.success
    assert count(db, "hut_availability_history") == remaining
    observations = [e for e in outcome.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    assert observations
    assert isinstance(retention_schedule, dg.ScheduleDefinition)
    assert retention_schedule.cron_schedule == "30 3 * * *"
