"""`hut-availability update` in the Dagster UI: its work recorded as a run with the same per-hut
materializations as a sensor's run, so there is one history of what was fetched.

The CLI calls the refresh itself (`refresh.parallel.refresh_huts`: progress bars, profile, exit
status); it lets a `HutRefreshRecorder` ride along on its callbacks and then calls `report_update`,
which executes `hut_update_report_job` in-process on the project's instance (DAGSTER_HOME, see
`supervisor/instance.py`).
The run logs one materialization per stored hut of hut_bookings, hut_availability and
hut_availability_history, with the metadata `hut_refresh.HutRefreshRecorder` gives every refresh, and
fails, naming the huts and why, when some could not be fetched (as a refresh run does).
"""

import logging

import dagster as dg

from ...config import Settings
from ...refresh.engine import UpdateReport
from ...refresh.notes import RefreshNotes
from .hut_refresh import (
    HutRefreshRecorder,
    RefreshResult,
    failures_text,
    log_materializations,
    report_metadata,
    tune_event_storage,
)
from .jobs import HUT_COUNT_TAG, KIND_TAG, REPORT_KIND, TRIGGER_TAG
from .partitions import ensure_hut_partitions

__all__ = ["HutRefreshRecorder", "hut_update_report_job", "report_update"]

logger = logging.getLogger(__name__)
REPORT_RESOURCE = "hut_update_report"


@dg.op(required_resource_keys={REPORT_RESOURCE})
def report_hut_update(context: dg.OpExecutionContext) -> dg.Output[int]:
    """Log the materializations of an update done by `hut-availability update`."""
    recorded = getattr(context.resources, REPORT_RESOURCE)
    if not isinstance(recorded, RefreshResult):
        raise dg.Failure(
            description="This job records the work of `hut-availability update`; it does not fetch."
            " To refresh huts from here, launch hut_refresh_<provider>_job or materialize hut partitions.",
            allow_retries=False,
        )
    report = recorded.report
    tune_event_storage(context.instance)
    ensure_hut_partitions(context.instance, [o.hut.slug for o in report.stored])
    log_materializations(context, recorded.recorder.materializations(report))
    if report.failed:  # a failed run, as a refresh run with failed huts is: green would say all is well
        raise dg.Failure(
            description=f"{len(report.failed)} of {len(report.outcomes)} hut(s) could not be fetched"
            f" ({len(report.stored)} stored):\n{failures_text(report)}",
            metadata={
                **report_metadata(report),
                "failed_huts": dg.MetadataValue.json([o.hut.slug for o in report.failed]),
            },
            allow_retries=False,
        )
    return dg.Output(len(report.stored), metadata=report_metadata(report))


@dg.job(
    name="hut_update_report_job",
    tags={KIND_TAG: REPORT_KIND},
    resource_defs={REPORT_RESOURCE: dg.ResourceDefinition.none_resource()},
    description="Record in Dagster what `hut-availability update` fetched and stored (run by the CLI).",
)
def hut_update_report_job() -> None:
    report_hut_update()


def report_update(
    report: UpdateReport,
    notes: RefreshNotes,
    settings: Settings | None = None,
    *,
    instance: dg.DagsterInstance | None = None,
    trigger: str = "cli",
) -> str | None:
    """Record `report` as a run of `hut_update_report_job`; return its run id, or None (with a
    warning logged) when there is nothing to record or Dagster's storage is unavailable: the data
    is stored either way, so this never fails the update."""
    if not report.outcomes:
        return None
    owned = instance is None
    if instance is None and settings is None:
        raise TypeError("report_update needs the caller's settings (for the project's instance) or an instance")
    try:
        if instance is None:
            assert settings is not None
            from ...supervisor.instance import project_instance

            instance = project_instance(settings)
        try:
            result = hut_update_report_job.execute_in_process(
                instance=instance,
                resources={REPORT_RESOURCE: RefreshResult(report, HutRefreshRecorder.of(notes))},
                tags={TRIGGER_TAG: trigger, HUT_COUNT_TAG: str(len(report.outcomes))},
                # quiet CLI: the command prints its own summary and failures (a failed record
                # would repeat them with Dagster's stack trace); the UI shows the run in full
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                raise_on_error=False,
            )
        finally:
            if owned:
                instance.dispose()
    except Exception as exc:
        logger.warning("could not record the update in Dagster (the data is stored): %s", exc)
        return None
    return result.run_id
