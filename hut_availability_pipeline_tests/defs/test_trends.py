"""The trend asset, job and schedule on the real Dagster machinery and a real database."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.defs.resources import DatabaseResource
from hut_availability_pipeline.defs.trends.trends import (
    build_trend_schedule,
    hut_availability_trends,
    trend_assets,
    trend_job,
)
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.trends import read_trends
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import add_huts, result

NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)
UPCOMING = dt.date(2026, 7, 15)


def add_history(db: Database) -> None:
    huts = add_huts(db, 2)
    with db.connect(autocommit=True) as conn:
        for i, free in enumerate([30, 22, 10]):
            checks = [result(h, NOW - dt.timedelta(days=3 - i), [free, 40 - 20 * i], start=UPCOMING) for h in huts]
            write_batch(conn, checks)


def materialize(db: Database, now: str | None = NOW.isoformat()) -> dg.ExecuteInProcessResult:
    config = {"ops": {"hut_availability_trends": {"config": {"now": now}}}} if now else None
    return dg.materialize(
        trend_assets,
        resources={"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()},
        run_config=config,
        instance=dg.DagsterInstance.ephemeral(),
    )


def test_materialization_writes_trends_and_describes_them(db):
    add_history(db)
    out = materialize(db)
    assert out.success
    (event,) = out.get_asset_materialization_events()
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    assert meta["dagster/row_count"] == 4  # 2 huts × 2 upcoming dates
    assert (meta["huts"], meta["full_dates"], meta["booked_dates"]) == (2, 2, 4)
    assert meta["computed_at"] == NOW.timestamp()
    summary = event.materialization.metadata["summary"]
    assert isinstance(summary, dg.MarkdownMetadataValue)
    assert "| hut | date | free/total |" in summary.value
    lines = summary.value.splitlines()
    # in the configured zone (Europe/Zurich by default), labelled, as on the pages and in the CLI
    assert lines[0].startswith("Trends as of 2026-07-10 14:00 CEST (today 2026-07-10): 4 hut-dates of 2 huts")
    # the second date went from 40 to 0 free places (full since 07-09, 7 days before the date);
    # both dates were first checked 3 days ago: no occupancy a week ago
    assert lines[4] == "| hut-0 | 2026-07-16 | 0/40 | 100 % | – | 40 | 7 |"
    assert lines[6] == "| hut-0 | 2026-07-15 | 10/40 | 75 % | – | 20 | – |"
    with db.connect() as conn:
        assert len(read_trends(conn)) == 4


def test_materialization_of_an_empty_database(db):
    out = materialize(db)
    (event,) = out.get_asset_materialization_events()
    assert event.materialization.metadata["dagster/row_count"].value == 0
    assert "(no upcoming hut-dates)" in event.materialization.metadata["summary"].value


def test_a_bad_now_fails_with_a_clear_message(db):
    out = dg.materialize(
        trend_assets,
        resources={"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()},
        run_config={"ops": {"hut_availability_trends": {"config": {"now": "2026-07-10 12:00"}}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not out.success
    (failure,) = [e for e in out.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "has no UTC offset" in str(failure.event_specific_data.error)


def test_asset_job_and_schedule_wiring(db):
    trend_schedule = build_trend_schedule(load_settings())
    assert hut_availability_trends.key == dg.AssetKey("hut_availability_trends")
    assert hut_availability_trends.asset_deps[hut_availability_trends.key] == {dg.AssetKey("hut_availability_history")}
    defs = dg.Definitions(
        assets=trend_assets,
        jobs=[trend_job],
        schedules=[trend_schedule],
        resources={"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()},
    )
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("hut_availability_trends_job")
    assert [n.name for n in job.graph.nodes] == ["hut_availability_trends"]
    assert trend_schedule.cron_schedule == "45 23 * * *"
    assert trend_schedule.execution_timezone == "Europe/Zurich"
    context = dg.build_schedule_context(scheduled_execution_time=NOW)
    requests = trend_schedule.evaluate_tick(context).run_requests
    assert requests is not None and len(requests) == 1
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
