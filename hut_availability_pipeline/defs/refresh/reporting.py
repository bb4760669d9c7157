"""`hut-availability update` in the Dagster UI: its work recorded as a run with the same per-hut
materializations as a sensor's run, so there is one history of what was fetched.

The command does not load Dagster. It calls the refresh itself (`refresh.parallel.refresh_huts`:
progress bars, profile, exit status), lets `RefreshNotes` ride along on its callbacks and keeps
the outcome as one row of `update_records` (`refresh.record.save_record`). Here:

- `update_record_sensor` (every 30 s, running by default) requests one run of
  `hut_update_report_job` per new row (its cursor: the last record id requested; run key
  `update-record-<id>`, so a record is never logged twice);
- the run's op reads the row, logs one materialization per stored hut of hut_bookings,
  hut_availability and hut_availability_history with the metadata `HutRefreshRecorder` gives
  every refresh, marks the row logged, and fails, naming the huts and why, when some could not be
  fetched (as a refresh run does).

Without a running daemon the rows wait and are logged when it next runs. Why not in the command:
logging three events per hut through Dagster's public API costs about 5 ms each, plus loading
Dagster, which more than doubled an unpaced update (`--no-dagster-report` keeps no record at all).
"""

import logging

import dagster as dg
from pydantic import Field

from ...refresh.record import UpdateRecord, UpdateRecordError
from ...storage.update_records import mark_update_recorded, new_update_records, read_update_record
from ..resources import DatabaseResource
from .hut_refresh import (
    HutRefreshRecorder,
    failures_text,
    log_materializations,
    report_metadata,
    tune_event_storage,
)
from .jobs import HUT_COUNT_TAG, KIND_TAG, REPORT_KIND, TRIGGER_TAG
from .partitions import ensure_hut_partitions

__all__ = ["hut_update_report_job", "update_record_sensor"]

logger = logging.getLogger(__name__)
RECORD_TAG = "hut_availability/update_record"
SENSOR_INTERVAL_SECONDS = 30


class UpdateRecordConfig(dg.Config):
    """Which update to log."""

    record_id: int = Field(description="The row of update_records (`hut-availability update` printed its id).")


@dg.op
def report_hut_update(context: dg.OpExecutionContext, config: UpdateRecordConfig, database: DatabaseResource) -> int:
    """Log the materializations of an update done by `hut-availability update`; return the number
    of huts stored."""
    with database.database().connect() as conn:
        stored = read_update_record(conn, config.record_id)
    if stored is None:
        raise dg.Failure(
            description=f"no update record {config.record_id}: this job logs what `hut-availability update`"
            " kept; to refresh huts from here, launch hut_refresh_<provider>_job or materialize hut partitions.",
            allow_retries=False,
        )
    try:
        record = UpdateRecord.from_document(stored.report)
    except UpdateRecordError as exc:
        raise dg.Failure(description=f"update record {config.record_id}: {exc}", allow_retries=False) from None
    report = record.report
    recorder = HutRefreshRecorder.of(record.notes)
    tune_event_storage(context.instance)
    ensure_hut_partitions(context.instance, [o.hut.slug for o in report.stored])
    log_materializations(context, recorder.materializations(report))
    with database.database().connect() as conn:
        mark_update_recorded(conn, config.record_id, context.run_id)
    metadata = report_metadata(report)
    if report.failed:  # a failed run, as a refresh run with failed huts is: green would say all is well
        raise dg.Failure(
            description=f"{len(report.failed)} of {len(report.outcomes)} hut(s) could not be fetched"
            f" ({len(report.stored)} stored):\n{failures_text(report)}",
            metadata={**metadata, "failed_huts": dg.MetadataValue.json([o.hut.slug for o in report.failed])},
            allow_retries=False,
        )
    context.add_output_metadata(metadata)
    return len(report.stored)


@dg.job(
    name="hut_update_report_job",
    tags={KIND_TAG: REPORT_KIND},
    description="Record in Dagster what `hut-availability update` fetched and stored (requested by"
    " update_record_sensor).",
)
def hut_update_report_job() -> None:
    report_hut_update()


@dg.sensor(
    name="update_record_sensor",
    job=hut_update_report_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Show each `hut-availability update` as a run: one hut_update_report_job run per new update record.",
)
def update_record_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SensorResult:
    """Request a run for each update record after the cursor (see the module docstring)."""
    after = int(context.cursor) if context.cursor else 0
    with database.database().connect() as conn:
        records = new_update_records(conn, after)
    if not records:
        return dg.SensorResult(skip_reason="no update recorded by the command line since the last run")
    requests = [
        dg.RunRequest(
            run_key=f"update-record-{r.record_id}",
            run_config={"ops": {"report_hut_update": {"config": {"record_id": r.record_id}}}},
            tags={TRIGGER_TAG: r.trigger, HUT_COUNT_TAG: str(r.huts), RECORD_TAG: str(r.record_id)},
        )
        for r in records
    ]
    return dg.SensorResult(run_requests=requests, cursor=str(records[-1].record_id))
