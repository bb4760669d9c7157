"""The IO manager of `hut_bookings`: stores the bookings a refresh fetched, through the core engine.

An asset or op fetches through the provider resource (`BookingProvidersResource.fetch`) and
returns `HutBookings`: the run's huts as lazy fetches, one per booking source. `handle_output`
stores them with `parallel.store_all_sources` → `engine.store_fetched`, the one writing path of
the CLI, schedule, sensor and backfills: each source fetched at its own pace while its batches are
written (current state and history of a batch in one transaction). It writes no SQL itself.

What it records, once the bookings are stored:

- Asset runs (a hut partition or a range, e.g. a UI backfill): per-partition metadata of
  hut_bookings, hut_availability and hut_availability_history through the public
  `AssetExecutionContext.add_asset_metadata(partition_key=...)`; the asset then reports the two
  tables materialized. If a hut failed, it raises before any partition is marked materialized
  (`refresh.refresh_failure`: a retry that fetches the huts still missing, or a failure at once
  when no retry would help).
- Op runs (`hut_refresh_*_job`: the sensor's and schedule's batches of any huts): one
  AssetMaterialization per stored hut and asset (`OutputContext.log_event`), then the same
  failure for the huts that failed.

Only public Dagster API (test_public_api.py guards it).
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from ..parallel import store_all_sources
from ..storage.database import Database
from .refresh import (
    REFRESHED_ASSETS,
    HutBookings,
    HutRefreshRecorder,
    RefreshResult,
    refresh_failure,
    report_metadata,
)
from .resources import DatabaseResource


class HutAvailabilityIOManager(dg.ConfigurableIOManager):  # type: ignore[type-arg]
    """Stores hut bookings in PostgreSQL (current state and history) through the engine."""

    database: DatabaseResource
    batch_size: int = Field(
        default=20, ge=1, description="Huts per transaction (definitions.py: HUT_AVAILABILITY_BATCH_SIZE)."
    )

    def handle_output(self, context: dg.OutputContext, obj: HutBookings) -> None:
        """Store the bookings (fetching them as they are written) and record what was stored."""
        if not isinstance(obj, HutBookings):
            raise TypeError(f"{context.name}: expected HutBookings, got {type(obj).__name__}")
        recorder = HutRefreshRecorder()
        everything = store_all_sources(
            self.database.database(),
            obj.fetches,
            batch_size=self.batch_size,
            on_fetched=recorder.on_fetched,
            on_stored=recorder.on_stored,
        )
        report = everything.merged
        result = RefreshResult(report, recorder, obj.permanent_failures())
        retry_number = dg.OpExecutionContext.get().retry_number
        if context.has_asset_key:
            if everything.storage_errors:
                raise everything.storage_errors[0]
            failure = refresh_failure(result, len(obj.huts), retry_number)
            if failure is not None:
                raise failure
            # Per-partition metadata of the three assets the write materialized, through the
            # public current-context accessor (OutputContext has no partition-scoped call).
            asset_context = dg.AssetExecutionContext.get()
            for key in REFRESHED_ASSETS:
                for outcome in report.stored:
                    asset_context.add_asset_metadata(
                        recorder.metadata(outcome, key), asset_key=key, partition_key=outcome.hut.slug
                    )
        else:
            for materialization in recorder.materializations(report):
                context.log_event(materialization)
            context.add_output_metadata(report_metadata(report))
            if everything.storage_errors:
                raise everything.storage_errors[0]
            failure = refresh_failure(result, len(obj.huts), retry_number)
            if failure is not None:
                raise failure
        context.log.info(
            f"stored {len(report.stored)} hut(s) in {report.wall_seconds:.1f} s "
            f"({report.fetch_seconds:.1f} s fetching, {report.db_seconds:.1f} s writing)"
        )

    def load_input(self, context: dg.InputContext) -> Database:
        """The tables live in PostgreSQL and are read with SQL: an input gets the database."""
        return self.database.database()
