"""The IO manager of `hut_bookings`: fetches and stores the bookings a refresh asked for, through
the refresh's one entry point.

An asset or op returns `HutBookings` (huts, first night, days). `handle_output` calls
`refresh.parallel.refresh_huts` with the provider resource's services, the call of the CLI's
`update` too: each source fetched at its own pace while its batches are written (current state
and history of a batch in one transaction, batched Postgres upserts in `storage.writer`). It
writes no SQL itself. The services are opened and closed inside that call, so nothing depends on
when Dagster resumes the step's generator after handling its output.

What it records:

- Asset runs (a hut partition or a range, e.g. a UI backfill): per-partition metadata of
  hut_bookings, hut_availability and hut_availability_history through the public
  `AssetExecutionContext.add_asset_metadata(partition_key=...)`; the asset then reports the two
  tables materialized. If a hut failed, it raises before any partition is marked materialized
  (`refresh.refresh_failure`: a retry that fetches the huts still missing, or a failure at once
  when no retry would help).
- Op runs (`hut_refresh_<provider>_job`: the sensor's and schedule's batches): one
  AssetMaterialization per stored hut and asset (`OutputContext.log_event`), logged batch by batch
  while the next batches are fetched (`MaterializationLog`), then the same failure for the huts
  that failed.

Only public Dagster API (test_public_api.py guards it).
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType

import dagster as dg
from pydantic import Field

from ...refresh import DEFAULT_BATCH_SIZE
from ...refresh.engine import HutOutcome, OutcomesCallback
from ...refresh.parallel import UpdateAllReport, refresh_huts
from ...storage.database import Database
from ..resources import BookingProvidersResource, DatabaseResource
from .hut_refresh import (
    REFRESHED_ASSETS,
    HutBookings,
    HutRefreshRecorder,
    RefreshResult,
    refresh_failure,
    report_metadata,
)


class MaterializationLog:
    """Logs the materializations of an op run's stored huts from a thread of its own, batch by
    batch as the engine commits them (`on_outcomes`), so Dagster's event writes (three per hut, one
    statement and commit each through the public `log_event`) overlap the fetching and writing of
    the next batches instead of following the whole fetch. Leaving waits for the last events and
    raises what logging raised."""

    def __init__(self, context: dg.OutputContext, recorder: HutRefreshRecorder) -> None:
        self._context = context
        self._recorder = recorder
        self._queue: queue.SimpleQueue[list[HutOutcome] | None] = queue.SimpleQueue()
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._log, name="hut-availability-events", daemon=True)

    def __enter__(self) -> MaterializationLog:
        self._thread.start()
        return self

    def put(self, outcomes: list[HutOutcome]) -> None:
        """Log these huts' materializations (those stored) soon."""
        self._queue.put(outcomes)

    def _log(self) -> None:
        while (outcomes := self._queue.get()) is not None:
            if self._errors:
                continue  # drain
            try:
                for materialization in self._recorder.materializations_of(outcomes):
                    self._context.log_event(materialization)
            except Exception as exc:
                self._errors.append(exc)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._errors and exc is None:
            raise self._errors[0]


class HutAvailabilityIOManager(dg.ConfigurableIOManager):
    """Fetches and stores hut bookings in PostgreSQL (current state and history) through
    `refresh_huts`, the CLI's call."""

    database: DatabaseResource
    providers: BookingProvidersResource
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE,
        ge=1,
        description="Huts per transaction (definitions.py: HUT_AVAILABILITY_BATCH_SIZE).",
    )

    def handle_output(self, context: dg.OutputContext, obj: HutBookings) -> None:
        """Store the bookings (fetching them as they are written) and record what was stored."""
        if not isinstance(obj, HutBookings):
            raise TypeError(f"{context.name}: expected HutBookings, got {type(obj).__name__}")
        recorder = HutRefreshRecorder()
        db = self.database.database()
        retry_number = dg.OpExecutionContext.get().retry_number

        def store(on_outcomes: OutcomesCallback | None = None) -> UpdateAllReport:
            return refresh_huts(
                db,
                obj.huts,
                self.providers.service,
                start=obj.start,
                days=obj.days,
                batch_size=self.batch_size,
                on_fetched=recorder.on_fetched,
                on_stored=recorder.on_stored,
                on_outcomes=on_outcomes,
            )

        if context.has_asset_key:
            everything = store()
        else:
            with MaterializationLog(context, recorder) as log:
                everything = store(log.put)
            context.add_output_metadata(report_metadata(everything.merged))
        report = everything.merged
        if everything.storage_errors:
            raise everything.storage_errors[0]
        result = RefreshResult(report, recorder, everything.permanent_failures)
        failure = refresh_failure(result, len(obj.huts), retry_number)
        if failure is not None:
            raise failure  # asset runs: before any partition is marked materialized
        if context.has_asset_key:
            # Per-partition metadata of the three assets the write materialized, through the
            # public current-context accessor (OutputContext has no partition-scoped call).
            asset_context = dg.AssetExecutionContext.get()
            for key in REFRESHED_ASSETS:
                for outcome in report.stored:
                    asset_context.add_asset_metadata(
                        recorder.metadata(outcome, key), asset_key=key, partition_key=outcome.hut.slug
                    )
        context.log.info(
            f"stored {len(report.stored)} hut(s) in {report.wall_seconds:.1f} s "
            f"({report.fetch_seconds:.1f} s fetching, {report.db_seconds:.1f} s writing)"
        )

    def load_input(self, context: dg.InputContext) -> Database:
        """The tables live in PostgreSQL and are read with SQL: an input gets the database."""
        return self.database.database()
