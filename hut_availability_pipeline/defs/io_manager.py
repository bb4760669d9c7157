"""The IO manager of the refreshed assets: stores a `HutBookingsPlan` through the core engine.

`handle_output` runs the plan with `engine.run_update` (fetch and write overlap; current state
and history of a batch in one transaction) and records per-hut metadata. It writes no SQL itself.

- Asset runs (a hut partition or a range, e.g. a UI backfill): the three outputs of `hut_refresh`
  carry the same plan; the first one runs it, each adds its partition-scoped metadata. If a hut
  failed, the output raises before any partition is marked materialized (`refresh.refresh_failure`:
  a retry that fetches the huts still missing, or a failure at once when no retry would help).
- Op runs (`hut_refresh_job`: the sensor's and schedule's batches of any huts): the output logs one
  AssetMaterialization per stored hut and asset; the op raises afterwards for failed huts.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
from dagster._core.events import DagsterEvent

from ..storage.database import Database
from .refresh import HutBookingsPlan, log_materializations, refresh_failure, report_metadata
from .resources import DatabaseResource


class HutAvailabilityIOManager(dg.ConfigurableIOManager):  # type: ignore[type-arg]
    """Stores hut bookings plans in PostgreSQL through `engine.run_update`."""

    database: DatabaseResource

    def handle_output(  # type: ignore[override]  # Dagster accepts a generator that yields events
        self, context: dg.OutputContext, obj: HutBookingsPlan
    ) -> Iterator[DagsterEvent]:
        """Run the plan through the engine (once per plan) and record per-hut metadata: as
        materializations (op runs) or as partition metadata of this output (asset runs)."""
        if not isinstance(obj, HutBookingsPlan):
            raise TypeError(f"{context.step_key}: expected a HutBookingsPlan, got {type(obj).__name__}")
        first = obj.result is None
        result = obj.run(self.database.database())
        report = result.report
        if not context.has_asset_key:
            yield from log_materializations(context.step_context, result.recorder.materializations(report))
            context.add_output_metadata(report_metadata(report))
            return
        failure = refresh_failure(result, len(obj.huts), context.step_context.previous_attempt_count)
        if failure is not None:
            raise failure
        if first:
            context.log.info(
                f"stored {len(report.stored)} hut(s) in {report.wall_seconds:.1f} s "
                f"({report.fetch_seconds:.1f} s fetching, {report.db_seconds:.1f} s writing)"
            )
        # Partition-scoped metadata must be on the step before Dagster emits the output's
        # per-partition materializations; OutputContext has no public method for it.
        step = context.step_context
        for outcome in report.stored:
            step.add_asset_metadata(
                result.recorder.metadata(outcome, context.asset_key),
                asset_key=context.asset_key,
                partition_key=outcome.hut.slug,
            )

    def load_input(self, context: dg.InputContext) -> Database:
        """The tables live in PostgreSQL and are read with SQL: an input gets the database."""
        return self.database.database()
