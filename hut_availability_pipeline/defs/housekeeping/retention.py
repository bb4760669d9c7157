"""Dagster: the daily retention job. Thin: config and metadata; the work is
`storage.retention.apply_retention` (drops old monthly history partitions)."""

# No `from __future__ import annotations`: Dagster reads the config class from the annotation.
import datetime as dt

import dagster as dg

from ...config import Settings
from ...storage.retention import RetentionPolicy, apply_retention
from ...storage.selection import today_in
from ..resources import DatabaseResource


class RetentionConfig(dg.Config):
    """The policy of one run; empty fields use the settings (defaults: 400 days, keep current)."""

    history_days: int | None = None
    current_days: int | None = None
    dry_run: bool = False


@dg.op(description="Drop history partitions (months) older than the retention window.")
def apply_retention_op(
    context: dg.OpExecutionContext,
    config: RetentionConfig,
    database: DatabaseResource,
    settings: dg.ResourceParam[Settings],
) -> None:
    """Apply the retention policy (the run's config, else HUT_AVAILABILITY_RETENTION_HISTORY_DAYS
    and _CURRENT_DAYS) and report what was removed as metadata."""
    try:
        policy = RetentionPolicy(
            history_days=config.history_days or settings.retention_history_days,
            current_days=config.current_days if config.current_days is not None else settings.retention_current_days,
        )
    except ValueError as exc:
        raise dg.Failure(f"retention config: {exc}") from None
    db = database.database()
    today = today_in(settings.zone, dt.datetime.now(dt.UTC))
    with db.connect() as conn:
        result = apply_retention(conn, policy, today, dry_run=config.dry_run)
    context.log_event(
        dg.AssetObservation(
            asset_key=dg.AssetKey("hut_availability_history"),
            metadata={
                "database": db.describe(),
                "cutoff": str(result.cutoff),
                "dry_run": config.dry_run,
                "dropped_partitions": dg.MetadataValue.json(result.dropped_partitions),
                "dropped_history_rows": result.dropped_history_rows,
                "deleted_current_rows": result.deleted_current_rows,
            },
        )
    )


@dg.job(description="Retention: drop months of history older than the configured window.")
def retention_job() -> None:
    apply_retention_op()


retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    job=retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone="Europe/Zurich",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
