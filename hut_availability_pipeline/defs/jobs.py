"""Jobs that refresh huts: the batch job of the sensor, schedule and CLI, and the partition job.

`hut_refresh_job` is the unit production runs: ONE op that refreshes a batch of any huts (up to
HUT_AVAILABILITY_HUTS_PER_RUN) with one engine call and logs one materialization per hut partition
of hut_bookings, hut_availability and hut_availability_history. A cycle of 567 huts is a few runs,
not 567 processes, yet every hut has its own materializations and can be backfilled alone
(`hut_backfill_job` or the asset graph: partitions → runs of a range of huts each).
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from .assets import IO_MANAGER_KEY, RefreshConfig, build_plan
from .refresh import PROVIDER_POOL, REFRESH_RETRY_POLICY, REFRESHED_ASSETS, HutBookingsPlan, failures_text
from .resources import DatabaseResource, HutReservationResource

KIND_TAG = "hut_availability/kind"
TRIGGER_TAG = "hut_availability/trigger"
HUT_COUNT_TAG = "hut_availability/huts"
REFRESH_KIND = "refresh"
REFRESH_OP = "refresh_huts"


class RefreshHutsConfig(RefreshConfig):
    """The huts of one batch run."""

    huts: list[str] = Field(description="Slugs of the huts to refresh (their partition keys).")


@dg.op(
    name=REFRESH_OP,
    out=dg.Out(HutBookingsPlan, io_manager_key=IO_MANAGER_KEY),
    pool=PROVIDER_POOL,
    retry_policy=REFRESH_RETRY_POLICY,
)
def refresh_huts(
    context: dg.OpExecutionContext,
    config: RefreshHutsConfig,
    database: DatabaseResource,
    hut_reservation: HutReservationResource,
) -> Iterator[dg.Output[HutBookingsPlan]]:
    """Refresh a batch of huts through the IO manager (engine.run_update); fail, naming the huts,
    when some could not be fetched, so the RetryPolicy tries them again."""
    plan = build_plan(context, database, hut_reservation, config.huts, config.days)
    yield dg.Output(plan)
    assert plan.result is not None, "the IO manager did not run the plan"
    report = plan.result.report
    if report.failed:
        raise dg.Failure(
            description=(
                f"{len(report.failed)} of {len(plan.huts)} hut(s) could not be fetched"
                f" ({len(report.stored)} stored):\n{failures_text(report)}"
            ),
            metadata={"failed_huts": dg.MetadataValue.json([o.hut.slug for o in report.failed])},
        )


@dg.job(name="hut_refresh_job", tags={KIND_TAG: REFRESH_KIND}, description=refresh_huts.description)
def hut_refresh_job() -> None:
    refresh_huts()


hut_backfill_job = dg.define_asset_job(
    name="hut_backfill_job",
    selection=dg.AssetSelection.assets(*REFRESHED_ASSETS).without_checks(),
    tags={KIND_TAG: REFRESH_KIND},
    description="Refresh chosen hut partitions (UI or `dagster job backfill -j hut_backfill_job --partitions a,b`).",
)


def refresh_run_config(slugs: list[str], days: int = 365) -> dict[str, object]:
    """Run config of `hut_refresh_job` for these huts."""
    return {"ops": {REFRESH_OP: {"config": {"huts": list(slugs), "days": days}}}}
