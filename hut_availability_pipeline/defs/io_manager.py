"""The IO manager of the refreshed assets: stores a `HutBookingsPlan` through the core engine.

`handle_output` runs the plan with `engine.run_update` (fetch and write overlap; current state
and history of a batch in one transaction) and records per-hut metadata. It writes no SQL itself.

- Asset runs (a hut partition or a range, e.g. a UI backfill): the three outputs of `hut_refresh`
  carry the same plan; the first one runs it, each adds its per-hut partition metadata through the
  public `AssetExecutionContext.get().add_asset_metadata(partition_key=...)`. If a hut failed, the first output raises
  before
  any partition is marked materialized (`refresh.refresh_failure`: a retry that fetches the huts
  still missing, or a failure at once when no retry would help).
- Op runs (`hut_refresh_job`: the sensor's and schedule's batches of any huts): the output logs one
  AssetMaterialization per stored hut and asset (`OutputContext.log_event`); the op raises
  afterwards for failed huts.

Only public Dagster API (test_public_api.py guards it).
"""

from __future__ import annotations

import dagster as dg

from ..storage.database import Database
from .refresh import HutBookingsPlan, refresh_failure, report_metadata
from .resources import DatabaseResource


class HutAvailabilityIOManager(dg.ConfigurableIOManager):  # type: ignore[type-arg]
    """Stores hut bookings plans in PostgreSQL through `engine.run_update`."""

    database: DatabaseResource

    def handle_output(self, context: dg.OutputContext, obj: HutBookingsPlan) -> None:
        """Run the plan through the engine (once per plan) and record what it stored: per-hut
        materializations (op runs) or per-partition metadata of this output (asset runs)."""
        if not isinstance(obj, HutBookingsPlan):
            raise TypeError(f"{context.name}: expected a HutBookingsPlan, got {type(obj).__name__}")
        first = obj.result is None
        result = obj.run(self.database.database())
        report = result.report
        if not context.has_asset_key:
            for materialization in result.recorder.materializations(report):
                context.log_event(materialization)
            context.add_output_metadata(report_metadata(report))
            return
        failure = refresh_failure(result, len(obj.huts), obj.retry_number)
        if failure is not None:
            raise failure
        if first:
            context.log.info(
                f"stored {len(report.stored)} hut(s) in {report.wall_seconds:.1f} s "
                f"({report.fetch_seconds:.1f} s fetching, {report.db_seconds:.1f} s writing)"
            )
        # Per-partition metadata of this output, through the public current-context accessor
        # (OutputContext has no partition-scoped metadata call of its own).
        asset_context = dg.AssetExecutionContext.get()
        for outcome in report.stored:
            asset_context.add_asset_metadata(
                result.recorder.metadata(outcome, context.asset_key),
                asset_key=context.asset_key,
                partition_key=outcome.hut.slug,
            )

    def load_input(self, context: dg.InputContext) -> Database:
        """The tables live in PostgreSQL and are read with SQL: an input gets the database."""
        return self.database.database()
