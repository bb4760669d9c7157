"""What follows a refresh batch: the data checks, and the first trends once the first load is done.

The asset checks used to run only on their hourly schedule, so after the first load (and after
every batch) the UI showed "0/4 passed" or results of an hour ago for up to an hour; the trends
asset waited for its daily schedule, up to a day after the first load. `after_refresh_sensor`
looks every 30 s for refresh runs (sensor, schedule, backfills, and the runs recording a CLI
update: tag hut_availability/kind refresh or report) that finished since its cursor, successfully
or not (a run with some failed huts stored the others),
and requests one `hut_availability_checks_job` run for them; when the trends were never derived
and every active hut has been tried once, it also requests `hut_availability_trends_job`. The
hourly check schedule and the daily trend schedule stay, for data that changes without a refresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from ...config import Settings
from ...storage.selection import hut_priorities
from ..checks.checks import availability_checks_job
from ..resources import DatabaseResource
from ..trends.trends import trend_job
from .jobs import KIND_TAG, REFRESH_KIND, REPORT_KIND

TRENDS_ASSET = dg.AssetKey("hut_availability_trends")
INTERVAL_SECONDS = 30
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]


@dataclass(frozen=True)
class FinishedRefreshes:
    """Refresh runs that finished since a sensor's cursor, and the newest of them."""

    records: list[dg.RunRecord]
    newest: dg.RunRecord

    @property
    def cursor(self) -> str:
        """The sensor's cursor after these runs."""
        return str(self.newest.update_timestamp.timestamp())


def refresh_runs_finished(context: dg.SensorEvaluationContext) -> FinishedRefreshes | None:
    """Refresh runs (and runs recording a CLI update) that finished since the sensor's cursor,
    successfully or not, at most 100; None when none did. Every sensor that follows refresh runs
    reads them so."""
    since = dt.datetime.fromtimestamp(float(context.cursor), dt.UTC) if context.cursor else None
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(tags={KIND_TAG: [REFRESH_KIND, REPORT_KIND]}, statuses=FINISHED, updated_after=since),
        limit=100,
    )
    if not records:
        return None
    return FinishedRefreshes(list(records), max(records, key=lambda r: r.update_timestamp))


def first_load_done(database: DatabaseResource, settings: Settings) -> bool:
    """Every active bookable hut has been tried at least once (stored or failed)."""
    with database.database().connect() as conn:
        priorities = hut_priorities(conn, settings.tiers, dt.datetime.now(dt.UTC), settings.zone)
    return bool(priorities) and all(p.last_attempt is not None for p in priorities)


@dg.sensor(
    name="after_refresh_sensor",
    jobs=[availability_checks_job, trend_job],
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After refresh runs finish: run the data checks; the first trends once the first load is done.",
)
def after_refresh_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource, settings: dg.ResourceParam[Settings]
) -> dg.SensorResult:
    """Request the checks (and the first trends) after refresh runs (see the module docstring)."""
    finished = refresh_runs_finished(context)
    if finished is None:
        return dg.SensorResult(skip_reason="no refresh run finished since the last check run")
    run_key = f"checks-after-{finished.newest.dagster_run.run_id}"
    checks = dg.RunRequest(run_key=run_key, job_name=availability_checks_job.name)
    requests = [checks]
    note = f"{len(finished.records)} refresh run(s) finished: checks requested"
    if context.instance.get_latest_materialization_event(TRENDS_ASSET) is None:
        if first_load_done(database, settings):
            requests.append(dg.RunRequest(run_key="first-trends", job_name=trend_job.name))
            note += "; the first load is done: trends requested"
        else:
            note += "; trends wait until every hut has been tried once"
    context.log.info(note)
    return dg.SensorResult(run_requests=requests, cursor=finished.cursor)
