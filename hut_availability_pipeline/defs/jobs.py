"""Jobs that refresh huts: the batch job of the sensor, schedule and CLI, and the partition job.

`hut_refresh_job` is the unit production runs: ONE op that refreshes a batch of any huts (up to
HUT_AVAILABILITY_HUTS_PER_RUN) with one engine call and logs one materialization per hut partition
of hut_bookings, hut_availability and hut_availability_history. A cycle over the catalog's 567 huts
is two runs, not 567 processes, yet every hut has its own materializations and can be backfilled
alone.

Backfills of chosen huts:

- UI: Lineage → select hut_bookings, hut_availability and hut_availability_history → Materialize →
  pick partitions (hut slugs) → launch. The BackfillPolicy turns each run of consecutive hut
  partitions into one run of up to HUT_AVAILABILITY_HUTS_PER_RUN huts.
- Command line, one run for any huts (queued; the daemon of `hut-availability dev` starts it):
    HUT_AVAILABILITY_HOME=.hut-availability DAGSTER_HOME=.hut-availability/dagster \
    dagster job launch -w workspace.yaml -j hut_refresh_job \
      --config-json '{"ops": {"refresh_huts": {"config": {"huts": ["konkordiahutte-sac", "zwinglipasshutte"]}}}}'
- Command line, one run per hut partition:
    ... dagster job backfill -w workspace.yaml -j hut_backfill_job --partitions a-hut,b-hut --noprompt
- `hut-availability update --hut-slug a-hut --hut-slug b-hut` fetches in the CLI and records the
  work as a run with the same materializations (`reporting.report_update`).
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from ..config import Settings
from .assets import IO_MANAGER_KEY, RefreshConfig, huts_to_refresh, refresh_start
from .refresh import PROVIDER_POOL, REFRESHED_ASSETS, HutBookings
from .resources import BookingProvidersResource, DatabaseResource

KIND_TAG = "hut_availability/kind"
TRIGGER_TAG = "hut_availability/trigger"
HUT_COUNT_TAG = "hut_availability/huts"
REFRESH_KIND = "refresh"
REPORT_KIND = "report"  # runs recording a `hut-availability update` (reporting.py)
REFRESH_OP = "refresh_huts"


class RefreshHutsConfig(RefreshConfig):
    """The huts of one batch run."""

    huts: list[str] = Field(description="Slugs of the huts to refresh (their partition keys).")


@dg.op(
    name=REFRESH_OP,
    out=dg.Out(HutBookings, io_manager_key=IO_MANAGER_KEY),
    pool=PROVIDER_POOL,
)
def refresh_huts(
    context: dg.OpExecutionContext,
    config: RefreshHutsConfig,
    database: DatabaseResource,
    providers: BookingProvidersResource,
    settings: dg.ResourceParam[Settings],
) -> Iterator[dg.Output[HutBookings]]:
    """Refresh a batch of huts: fetch their bookings through the provider resource and hand them
    to the IO manager (engine.store_fetched), which fails the step, naming the huts, when some could
    not be fetched, retrying only those whose failure may pass (`refresh_failure`)."""
    huts = huts_to_refresh(context, database, settings, config.huts)
    with providers.fetch(huts, start=refresh_start(settings), days=config.days) as bookings:
        yield dg.Output(bookings)


MAX_RUNTIME_TAG = "dagster/max_runtime"
REFRESH_MAX_RUNTIME_SECONDS = 7200
"""Run monitoring ends a refresh run after 2 hours (a run of 300 huts takes 5-10 minutes): the last
resort for a run whose worker hangs or vanished unnoticed (see liveness.py)."""
REFRESH_TAGS = {KIND_TAG: REFRESH_KIND, MAX_RUNTIME_TAG: str(REFRESH_MAX_RUNTIME_SECONDS)}


@dg.job(name="hut_refresh_job", tags=REFRESH_TAGS, description=refresh_huts.description)
def hut_refresh_job() -> None:
    refresh_huts()


hut_backfill_job = dg.define_asset_job(
    name="hut_backfill_job",
    selection=dg.AssetSelection.assets(*REFRESHED_ASSETS).without_checks(),
    tags=REFRESH_TAGS,
    description="Refresh chosen hut partitions (UI or `dagster job backfill -j hut_backfill_job --partitions a,b`).",
)


def refresh_run_config(slugs: list[str], days: int | None = None) -> dict[str, object]:
    """Run config of `hut_refresh_job` for these huts (every day the site serves unless `days`)."""
    config: dict[str, object] = {"huts": list(slugs)}
    if days is not None:
        config["days"] = days
    return {"ops": {REFRESH_OP: {"config": config}}}
