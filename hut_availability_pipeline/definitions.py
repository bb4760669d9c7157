"""The project's one Dagster `Definitions` (code location `hut_availability_pipeline`).

Resources default to the process's settings (DATABASE_URL or the embedded server, HRS_BASE_URL),
so `hut-availability dev`, a deployment and `dagster definitions validate` load the same object.
Jobs run in-process: each is one or a few light steps, and a step subprocess per run would cost
more than the step's own start-up work.
"""

from __future__ import annotations

import dagster as dg

from .config import load_settings
from .defs.after_refresh import after_refresh_sensor
from .defs.assets import hut_catalog, hut_refresh
from .defs.automation import hut_priority_sensor, hut_refresh_schedule
from .defs.checks import availability_checks, availability_checks_job, availability_checks_schedule
from .defs.io_manager import HutAvailabilityIOManager
from .defs.jobs import hut_backfill_job, hut_refresh_job
from .defs.maintenance import dagster_maintenance_job, dagster_maintenance_schedule
from .defs.reporting import hut_update_report_job
from .defs.resources import BookingProvidersResource, DatabaseResource
from .defs.retention import retention_job, retention_schedule
from .defs.trends import trend_assets, trend_job, trend_schedule
from .defs.watches import watch_alerts_job, watch_alerts_sensor


def build_definitions(
    database: DatabaseResource | None = None, providers: BookingProvidersResource | None = None
) -> dg.Definitions:
    """All definitions, with the given resources (tests pass a database and the simulator's URL)."""
    load_settings()  # a bad setting fails loading the code location, naming the variable, not every run
    database = database or DatabaseResource()
    assets: list[dg.AssetsDefinition] = [hut_catalog, hut_refresh, *trend_assets]
    jobs: list[dg.JobDefinition | dg.UnresolvedAssetJobDefinition] = [
        hut_refresh_job,
        hut_backfill_job,
        availability_checks_job,
        dagster_maintenance_job,
        hut_update_report_job,
        trend_job,
        retention_job,
        watch_alerts_job,
    ]
    schedules: list[dg.ScheduleDefinition] = [
        hut_refresh_schedule,
        availability_checks_schedule,
        dagster_maintenance_schedule,
        trend_schedule,
        retention_schedule,
    ]
    return dg.Definitions(
        assets=assets,
        asset_checks=availability_checks,
        jobs=jobs,
        schedules=schedules,
        sensors=[hut_priority_sensor, after_refresh_sensor, watch_alerts_sensor],
        executor=dg.in_process_executor,
        resources={
            "database": database,
            "providers": providers or BookingProvidersResource(),
            "hut_availability_io_manager": HutAvailabilityIOManager(database=database),
        },
    )


defs = build_definitions()
