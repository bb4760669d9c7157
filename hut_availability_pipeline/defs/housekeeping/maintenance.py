"""Keep Dagster's own storage bounded: months of 30-minute cycles must not grow it forever.

Ticks are purged by the daemon itself (dagster.yaml `retention`). Dagster OSS keeps runs and their
event logs forever, so `dagster_storage_purge` deletes finished runs (and their events) older than
the retention period, every night. The availability data is not touched: its history lives in
PostgreSQL tables of our own. A hut whose latest run is purged keeps its data; its partition may
show as not materialized until its next refresh, which for an active hut is at most days away.
"""

import datetime as dt

import dagster as dg
from pydantic import Field

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


class PurgeConfig(dg.Config):
    """How much of Dagster's run history to keep."""

    keep_days: int = Field(default=30, ge=1, description="Delete finished runs created more than this many days ago.")
    max_runs: int = Field(default=20_000, ge=1, description="Delete at most this many runs per execution.")


@dg.op
def dagster_storage_purge(context: dg.OpExecutionContext, config: PurgeConfig) -> dg.Output[int]:
    """Delete finished runs older than `keep_days`, with their event logs; return how many."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=config.keep_days)
    deleted = 0
    while deleted < config.max_runs:
        records = context.instance.get_run_records(
            filters=dg.RunsFilter(statuses=FINISHED, created_before=cutoff),
            limit=min(500, config.max_runs - deleted),
        )
        if not records:
            break
        for record in records:
            context.instance.delete_run(record.dagster_run.run_id)
        deleted += len(records)
    context.log.info(f"deleted {deleted} run(s) created before {cutoff:%Y-%m-%d %H:%M} UTC")
    return dg.Output(deleted, metadata={"runs_deleted": deleted, "cutoff": dg.MetadataValue.timestamp(cutoff)})


@dg.job(name="dagster_maintenance_job", description="Purge old Dagster runs and their event logs.")
def dagster_maintenance_job() -> None:
    dagster_storage_purge()


dagster_maintenance_schedule = dg.ScheduleDefinition(
    name="dagster_maintenance_schedule",
    cron_schedule="40 3 * * *",
    job=dagster_maintenance_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly: delete Dagster runs older than 30 days with their event logs.",
)
