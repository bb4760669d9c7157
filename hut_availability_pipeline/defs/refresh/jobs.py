"""Jobs that refresh huts: one batch job per provider (sensor, schedule, CLI) and the partition job.

`hut_refresh_<provider>_job` (`hut_refresh_hrs_job`, `hut_refresh_huetten_holiday_job`; one per
entry of `providers.registry.PROVIDERS`) is the unit production runs: ONE op that refreshes a batch
of that provider's huts (up to HUT_AVAILABILITY_HUTS_PER_RUN) with one `refresh_huts` call (in the
IO manager) and logs one materialization per hut partition of hut_bookings, hut_availability and
hut_availability_history.
Its op is in the provider's own concurrency pool (`hut_refresh.provider_pool`: `provider_hrs`,
`provider_huetten_holiday`) and its runs carry the provider's tag, so a provider that is blocked or
down holds only its own slot and run-queue places, never the other's. A cycle over the catalog's
567 hut-reservation.org huts is two runs, not 567 processes, yet every hut has its own
materializations and can be backfilled alone.

Backfills of chosen huts:

- UI: Lineage → select hut_bookings, hut_availability and hut_availability_history → Materialize →
  pick partitions (hut slugs) → launch. The BackfillPolicy turns each run of consecutive hut
  partitions into one run of up to HUT_AVAILABILITY_HUTS_PER_RUN huts (of any providers, each
  fetched at its own pace; pool `hut_backfill`).
- Command line, one run for any huts of one provider (queued; the daemon of `hut-availability dev`
  starts it):
    eval "$(hut-availability deploy env)"   # DAGSTER_HOME, DAGSTER_POSTGRES_URL of the project
    dagster job launch -w workspace.yaml -j hut_refresh_hrs_job \
      --config-json '{"ops": {"refresh_huts": {"config": {"huts": ["konkordiahutte-sac", "zwinglipasshutte"]}}}}'
- Command line, one run per hut partition:
    ... dagster job backfill -w workspace.yaml -j hut_backfill_job --partitions a-hut,b-hut --noprompt
- `hut-availability update --hut-slug a-hut --hut-slug b-hut` fetches in the CLI and keeps a
  record that `update_record_sensor` turns into a run with the same materializations (`reporting.py`).
"""

import dagster as dg
from pydantic import Field

from ...config import Settings
from ...providers.registry import PROVIDERS, provider_for
from ..resources import DatabaseResource
from .assets import IO_MANAGER_KEY, RefreshConfig, huts_to_refresh, refresh_start
from .hut_refresh import REFRESHED_ASSETS, HutBookings, provider_pool

KIND_TAG = "hut_availability/kind"
TRIGGER_TAG = "hut_availability/trigger"
HUT_COUNT_TAG = "hut_availability/huts"
PROVIDER_TAG = "hut_availability/provider"
"""The booking source of a refresh run's huts (dagster.yaml limits queued refresh runs per value)."""
REFRESH_KIND = "refresh"
REPORT_KIND = "report"  # runs recording a `hut-availability update` (reporting.py)
REFRESH_OP = "refresh_huts"


class RefreshHutsConfig(RefreshConfig):
    """The huts of one batch run."""

    huts: list[str] = Field(description="Slugs of the huts to refresh (their partition keys).")


def build_refresh_op(source: str) -> dg.OpDefinition:
    """The refresh op of one booking source, in that provider's pool (`provider_pool`)."""

    @dg.op(
        name=f"{REFRESH_OP}_{identifier(source)}",
        out=dg.Out(HutBookings, io_manager_key=IO_MANAGER_KEY),
        pool=provider_pool(source),
        tags={PROVIDER_TAG: source},
    )
    def refresh_huts(
        context: dg.OpExecutionContext,
        config: RefreshHutsConfig,
        database: DatabaseResource,
        settings: dg.ResourceParam[Settings],
    ) -> HutBookings:
        """Refresh a batch of huts of one provider: hand them to the IO manager, which fetches and
        stores them (refresh.parallel.refresh_huts, the CLI's call) and fails the step,
        naming the huts, when some could not be fetched, retrying only those whose failure may pass
        (`refresh_failure`)."""
        huts = huts_to_refresh(context, database, settings, config.huts)
        wrong = [h for h in huts if h.source != source]
        if wrong:
            jobs = ", ".join(refresh_job_name_of(s) for s in sorted({h.source for h in wrong}))
            raise dg.Failure(
                description=f"{refresh_job_name_of(source)} refreshes huts of {source} only (pool"
                f" {provider_pool(source)}): {', '.join(f'{h.slug} ({h.source})' for h in wrong)}; launch {jobs}",
                allow_retries=False,
            )
        return HutBookings(tuple(huts), refresh_start(settings), config.days)

    return refresh_huts


MAX_RUNTIME_TAG = "dagster/max_runtime"
REFRESH_MAX_RUNTIME_SECONDS = 7200
"""Run monitoring ends a refresh run after 2 hours (a run of 300 huts takes 5-10 minutes): the last
resort for a run whose worker hangs or vanished unnoticed (see liveness.py)."""
REFRESH_TAGS = {KIND_TAG: REFRESH_KIND, MAX_RUNTIME_TAG: str(REFRESH_MAX_RUNTIME_SECONDS)}


def identifier(source: str) -> str:
    """A booking-source slug as a Dagster name part (`huetten-holiday` → `huetten_holiday`)."""
    return source.replace("-", "_")


def refresh_job_name_of(source: str) -> str:
    """The name of the refresh job of a booking source."""
    return f"hut_refresh_{identifier(source)}_job"


def build_refresh_job(source: str) -> dg.JobDefinition:
    """The refresh job of one booking source: its op (run config `ops.refresh_huts`, whatever the
    provider), the refresh tags and the provider's tag."""
    op = build_refresh_op(source)

    @dg.job(
        name=refresh_job_name_of(source),
        tags={**REFRESH_TAGS, PROVIDER_TAG: source},
        description=f"{provider_for(source).name}: {op.description}",
    )
    def refresh_job() -> None:
        op.alias(REFRESH_OP)()

    return refresh_job


REFRESH_JOBS: dict[str, dg.JobDefinition] = {source: build_refresh_job(source) for source in PROVIDERS}
"""The refresh job of each booking source."""


hut_backfill_job = dg.define_asset_job(
    name="hut_backfill_job",
    selection=dg.AssetSelection.assets(*REFRESHED_ASSETS).without_checks(),
    tags=REFRESH_TAGS,
    description="Refresh chosen hut partitions (UI or `dagster job backfill -j hut_backfill_job --partitions a,b`).",
)


def refresh_run_config(slugs: list[str], days: int | None = None) -> dict[str, object]:
    """Run config of a refresh job for these huts (every day the site serves unless `days`)."""
    config: dict[str, object] = {"huts": list(slugs)}
    if days is not None:
        config["days"] = days
    return {"ops": {REFRESH_OP: {"config": config}}}
