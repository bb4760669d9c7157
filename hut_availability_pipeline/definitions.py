"""The project's one Dagster `Definitions` (code location `hut_availability_pipeline`).

The settings are read once, here (`load_settings()`), and passed down: the resources are built from
them (DATABASE_URL or the embedded server, each provider's site root, the request interval, the
batch size) and the settings object is itself a resource for sensors, schedules, assets and checks.
So `hut-availability dev`, a deployment and `dagster definitions validate` load the same object.
Jobs run in-process: each is one or a few light steps, and a step subprocess per run would cost
more than the step's own start-up work.
"""

from __future__ import annotations

import dagster as dg

from .config import Settings, load_settings
from .defs.checks.checks import availability_checks, availability_checks_job, availability_checks_schedule
from .defs.forecast import build_forecast_schedule, forecast_job, hut_availability_forecast
from .defs.housekeeping.maintenance import dagster_maintenance_job, dagster_maintenance_schedule
from .defs.housekeeping.retention import retention_job, retention_schedule
from .defs.refresh.after_refresh import after_refresh_sensor
from .defs.refresh.assets import build_hut_refresh, hut_catalog
from .defs.refresh.automation import REFRESH_SCHEDULES, hut_priority_sensor
from .defs.refresh.io_manager import HutAvailabilityIOManager
from .defs.refresh.jobs import REFRESH_JOBS, hut_backfill_job
from .defs.refresh.reporting import hut_update_report_job, update_record_sensor
from .defs.resources import SETTINGS_KEY, BookingProvidersResource, DatabaseResource
from .defs.trends.trends import build_trend_schedule, trend_assets, trend_job
from .defs.watches.watches import watch_alerts_job, watch_alerts_sensor


def build_definitions(
    database: DatabaseResource | None = None,
    providers: BookingProvidersResource | None = None,
    *,
    settings: Settings | None = None,
) -> dg.Definitions:
    """All definitions, built from `settings` (default: read from the environment, here, once: a
    bad value fails loading the code location with a message naming the variable, instead of
    failing every run) and the given resources (tests pass a database and the simulator's URL).

    The settings reach the definitions as resources (`settings`, and `database`, `providers` and
    the IO manager built from them) and as the arguments of the factories of what Dagster needs
    at load time (the backfill policy's huts per run, the trends schedule's time zone)."""
    settings = settings or load_settings()
    database = database or DatabaseResource(settings=settings)
    providers = providers or BookingProvidersResource.from_settings(settings)
    assets: list[dg.AssetsDefinition] = [hut_catalog, build_hut_refresh(settings), *trend_assets]
    assets.append(hut_availability_forecast)
    jobs: list[dg.JobDefinition | dg.UnresolvedAssetJobDefinition] = [
        *REFRESH_JOBS.values(),
        hut_backfill_job,
        availability_checks_job,
        dagster_maintenance_job,
        hut_update_report_job,
        trend_job,
        forecast_job,
        retention_job,
        watch_alerts_job,
    ]
    schedules: list[dg.ScheduleDefinition] = [
        *REFRESH_SCHEDULES.values(),
        availability_checks_schedule,
        dagster_maintenance_schedule,
        build_trend_schedule(settings),
        build_forecast_schedule(settings),
        retention_schedule,
    ]
    return dg.Definitions(
        assets=assets,
        asset_checks=availability_checks,
        jobs=jobs,
        schedules=schedules,
        sensors=[hut_priority_sensor, after_refresh_sensor, update_record_sensor, watch_alerts_sensor],
        executor=dg.in_process_executor,
        resources={
            SETTINGS_KEY: settings,
            "database": database,
            "providers": providers,
            "hut_availability_io_manager": HutAvailabilityIOManager(
                database=database, providers=providers, batch_size=settings.batch_size
            ),
        },
    )


defs = build_definitions()
