"""The priority sensor and the half-hourly schedules: who asks for which huts, and when.

How the work is divided (all call `refresh_requests`, i.e. `storage.selection.due_huts`):

- `hut_priority_sensor` (every minute) does the priority work. It runs the seed's selection — new
  huts, high/medium/low tiers whose interval has passed, failing huts whose backoff has passed —
  and requests, per provider, runs of that provider's refresh job (`hut_refresh_hrs_job`,
  `hut_refresh_huetten_holiday_job`) of up to HUT_AVAILABILITY_HUTS_PER_RUN huts each, most urgent
  first, tagged with the provider (`hut_availability/provider`) and its pool. A run's huts are all
  of one provider, and each provider's op waits only for its own pool, so one provider being
  blocked or down never slows the other. It also keeps the `huts` partitions in sync with the huts
  table. Because it looks every minute, a high-tier hut is refreshed ~30 minutes after its last
  check, not at the next half-hour boundary after that (which made the seed's CronJob refresh
  "30-minute" huts every 60 minutes).
- `hut_refresh_<provider>_schedule` ("*/30 * * * *", one per provider) replaces the seed's CronJob:
  the same selection at the same cadence, as a heartbeat. With the sensor running it usually finds
  every due hut already in a queued or running run and skips; with the sensor paused (or its
  daemon behind) it alone keeps the seed's guarantee that every due hut is requested at least
  every 30 minutes.

Neither requests a hut that a queued or running run (of a refresh job, or an asset run or backfill
of the hut partitions) already covers, so the two never pile up work; should both fire in the same
second, the writer's row locks and stale-check detection keep the data right. A tick costs two
queries and a look at in-flight runs, well inside the sensor time limit with thousands of huts.
"""

import collections
import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import dagster as dg

from ...config import Settings
from ...providers.registry import PROVIDERS
from ...storage.huts import bookable_huts
from ...storage.selection import HutPriority, due_huts
from ..resources import DatabaseResource
from .hut_refresh import REFRESHED_ASSETS, provider_pool
from .jobs import HUT_COUNT_TAG, PROVIDER_TAG, REFRESH_JOBS, REFRESH_OP, TRIGGER_TAG, identifier, refresh_run_config
from .liveness import FailedRun, fail_runs_without_worker
from .partitions import HUT_PARTITIONS_NAME, partition_changes

TIERS_TAG = "hut_availability/tiers"
POOL_TAG = "hut_availability/pool"
"""The concurrency pool a refresh run's op waits for (its provider's), shown with the run."""
REFRESH_JOB_NAMES = frozenset(job.name for job in REFRESH_JOBS.values())
SENSOR_INTERVAL_SECONDS = 60
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
_PARTITION_TAG = "dagster/partition"
_RANGE_START_TAG = "dagster/asset_partition_range_start"
_RANGE_END_TAG = "dagster/asset_partition_range_end"


def huts_in_flight(instance: dg.DagsterInstance) -> set[str]:
    """Slugs of the huts that a queued or running run will refresh."""
    busy: set[str] = set()
    partitions: list[str] | None = None
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_FLIGHT)):
        if run.job_name in REFRESH_JOB_NAMES:
            ops: Any = run.run_config.get("ops", {})
            busy.update(ops.get(REFRESH_OP, {}).get("config", {}).get("huts", []))
        elif run.asset_selection and not run.asset_selection.isdisjoint(REFRESHED_ASSETS):
            if _PARTITION_TAG in run.tags:
                busy.add(run.tags[_PARTITION_TAG])
            elif _RANGE_START_TAG in run.tags and _RANGE_END_TAG in run.tags:
                if partitions is None:
                    partitions = list(instance.get_dynamic_partitions(HUT_PARTITIONS_NAME))
                busy.update(_key_range(partitions, run.tags[_RANGE_START_TAG], run.tags[_RANGE_END_TAG]))
    return busy


def _key_range(keys: list[str], start: str, end: str) -> list[str]:
    try:
        return keys[keys.index(start) : keys.index(end) + 1]
    except ValueError:
        return [start, end]


def refresh_requests(
    instance: dg.DagsterInstance,
    database: DatabaseResource,
    settings: Settings,
    trigger: str,
    now: dt.datetime,
    sources: Collection[str] | None = None,
) -> tuple[list[dg.RunRequest], str]:
    """Run requests for the due huts that no run covers yet, per provider (`sources`: these booking
    sources only; default all), in batches, most urgent first; and a one-line account of the
    selection (the tick's skip reason when it requests nothing).

    Each run's huts are all of one provider: it is a run of that provider's refresh job, tagged with
    the provider and its pool, so a provider that is blocked or down holds only its own runs.
    Runs whose worker is gone (Dagster stopped or crashed mid-run) are failed first
    (`liveness.fail_runs_without_worker`), so their huts count as due again, not as in flight."""
    gone = fail_runs_without_worker(instance, by=f"the {trigger} tick")
    with database.database().connect() as conn:
        due = due_huts(conn, settings.tiers, now, settings.zone)
        loaded = len(bookable_huts(conn)) if not due else None
    if sources is not None:
        due = [p for p in due if p.hut.source in sources]
    busy = huts_in_flight(instance) if due else set()
    todo = [p for p in due if p.hut.slug not in busy]
    by_source: dict[str, list[HutPriority]] = {}
    for priority in todo:
        by_source.setdefault(priority.hut.source, []).append(priority)
    size = settings.huts_per_run
    requests = []
    unknown = sorted(set(by_source) - set(REFRESH_JOBS))
    for source, group in by_source.items():
        if source not in REFRESH_JOBS:
            continue
        for i in range(0, len(group), size):
            batch = group[i : i + size]
            tiers = collections.Counter(p.tier.value for p in batch)
            requests.append(
                dg.RunRequest(
                    job_name=REFRESH_JOBS[source].name,
                    run_config=refresh_run_config([p.hut.slug for p in batch]),
                    tags={
                        TRIGGER_TAG: trigger,
                        PROVIDER_TAG: source,
                        POOL_TAG: provider_pool(source),
                        HUT_COUNT_TAG: str(len(batch)),
                        TIERS_TAG: ",".join(f"{tier}:{n}" for tier, n in sorted(tiers.items())),
                    },
                )
            )
    note = selection_note(len(due), len(due) - len(todo), len(requests), gone, loaded=loaded)
    if unknown:
        note += f"; no provider for source(s) {', '.join(unknown)}: their huts are not requested"
    return requests, note


def selection_note(
    due: int, in_flight: int, runs: int, gone: Sequence[FailedRun] = (), *, loaded: int | None = None
) -> str:
    """One line on what a tick found, e.g. "3 hut(s) due, all already in a queued or running run";
    `loaded`: how many active huts with a booking source there are (0: none loaded, said so)."""
    if not due and loaded == 0:
        note = (
            "0 hut(s) due: no huts loaded (no active hut with a booking source; load the catalog with"
            " `hut-availability huts load` or materialize hut_catalog)"
        )
    elif not due:
        of = "" if loaded is None else f" of {loaded}"
        note = f"0 hut(s) due: every hut{of} is within its refresh interval or backoff"
    elif in_flight == due:
        note = f"{due} hut(s) due, all already in a queued or running run"
    elif in_flight:
        busy = f"{in_flight} already in a queued or running run"
        note = f"{due} hut(s) due, {busy}, {due - in_flight} requested in {runs} run(s)"
    else:
        note = f"{due} hut(s) due, requested in {runs} run(s)"
    if gone:
        runs_gone = ", ".join(f.run_id[:8] for f in gone)
        note = f"failed {len(gone)} run(s) whose worker is gone ({runs_gone}); {note}"
    return note


@dg.sensor(
    name="hut_priority_sensor",
    jobs=list(REFRESH_JOBS.values()),
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Priority selection (storage.selection.due_huts): due huts → one refresh run per provider"
    " and batch (hut_refresh_<provider>_job, the provider's pool); keeps the hut partitions in sync with the"
    " huts table.",
)
def hut_priority_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource, settings: dg.ResourceParam[Settings]
) -> dg.SensorResult:
    """Request refresh runs for the due huts and sync the hut partitions (see the module docstring)."""
    with database.database().connect() as conn:
        changes = partition_changes(conn, context.instance)
    requests, note = refresh_requests(context.instance, database, settings, "sensor", dt.datetime.now(dt.UTC))
    if changes.add or changes.delete:
        note += f"; partitions: +{len(changes.add)} -{len(changes.delete)}"
    context.log.info(note)
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=changes.requests(),
        skip_reason=None if requests else note,
    )


def build_refresh_schedule(source: str) -> dg.ScheduleDefinition:
    """The 30-minute heartbeat of one booking source (`hut_refresh_<provider>_schedule`)."""
    job = REFRESH_JOBS[source]

    @dg.schedule(
        name=f"hut_refresh_{identifier(source)}_schedule",
        cron_schedule="*/30 * * * *",
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"The seed's 30-minute CronJob for {PROVIDERS[source].name}: its due huts that no run covers"
        f" yet → {job.name} runs.",
    )
    def hut_refresh_schedule(
        context: dg.ScheduleEvaluationContext, database: DatabaseResource, settings: dg.ResourceParam[Settings]
    ) -> list[dg.RunRequest] | dg.SkipReason:
        """Every 30 minutes, request the provider's due huts the sensor has not (see the module docstring)."""
        requests, note = refresh_requests(
            context.instance, database, settings, "schedule", context.scheduled_execution_time, sources={source}
        )
        context.log.info(note)
        return requests or dg.SkipReason(note)

    return hut_refresh_schedule


REFRESH_SCHEDULES: dict[str, dg.ScheduleDefinition] = {source: build_refresh_schedule(source) for source in PROVIDERS}
"""The refresh schedule of each booking source."""
