"""One refresh of a set of huts, as Dagster sees it: the bookings fetched, their store, per-hut metadata.

Design (one code path for writing availability), the way Dagster's docs split the work:

- The asset `hut_refresh` (or the op `refresh_huts_<provider>` of the refresh jobs) picks the huts
  and returns `hut_bookings`: `HutBookings`, the request (huts, first night, days); it opens no
  connection to any site.
- The IO manager of `hut_bookings` (`io_manager.py`) fetches and stores them with
  `refresh.parallel.refresh_huts`, the CLI's call: each source fetched at its own pace while its
  batches are written (current state and history of a batch in one transaction). It writes no
  SQL of its own. Step → IO manager → `refresh_huts` → per-source `engine.store_fetched` → writer.
- `HutRefreshRecorder` rides along on the engine's callbacks and turns its report into what the UI
  shows per hut partition: rows fetched, new, changed, unchanged, dates no longer returned, seconds
  spent fetching and writing, and a table of the fullest upcoming dates.

The unit of a run is a *batch of huts* (up to HUT_AVAILABILITY_HUTS_PER_RUN), not a hut: one run
process, one engine call per source, one materialization per hut and asset. Sensor, schedule, UI
backfills and the CLI all end here.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import dagster as dg

from ...config import Settings
from ...domain.bookings import HutRef
from ...refresh.engine import HutOutcome, UpdateReport
from ...refresh.notes import HutNotes, RefreshNotes, fullest_dates_table
from ...storage.database import Database
from ...storage.selection import hut_priorities

HUT_BOOKINGS = dg.AssetKey("hut_bookings")
HUT_AVAILABILITY = dg.AssetKey("hut_availability")
HUT_AVAILABILITY_HISTORY = dg.AssetKey("hut_availability_history")
REFRESHED_ASSETS = (HUT_BOOKINGS, HUT_AVAILABILITY, HUT_AVAILABILITY_HISTORY)


def provider_pool(source: str) -> str:
    """The concurrency pool of the refresh op of one booking source (`provider_hrs`,
    `provider_huetten_holiday`). Its limit (dagster.yaml: pools default_limit 1; `dagster instance
    concurrency set provider_hrs N`) caps how many refreshes ask that site at once, whatever the
    number of runs; each provider has its own, so a blocked or slow provider never holds the slot
    of another."""
    return "provider_" + source.replace("-", "_")


BACKFILL_POOL = "hut_backfill"
"""Concurrency pool of the `hut_refresh` asset op (UI backfills and partition runs, whose huts may
be of any provider; each provider is fetched by its own thread at its own pace)."""

HUTS_PER_RUN_ENV = Settings.variable("huts_per_run")

REFRESH_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
"""Huts whose fetch failed in a way that may pass (5xx, timeouts, 403/429 after the provider's own
request retries) are fetched again by a retry of the step after ~30 s, ~60 s, ~120 s (at least the
provider's cool-down); huts already stored by the run are not fetched again.

Not attached to the steps as a `retry_policy`: Dagster would then retry an interrupt (Ctrl-C, the
SIGTERM of a stop) as if the site had failed, and every failure alike. `refresh_failure` raises
`dg.RetryRequested` with these numbers only for failures that may pass; an unknown hut (HTTP 404),
an unusable answer or an unreachable site fail the step at once."""


class HutRefreshRecorder(RefreshNotes):
    """Refresh notes that also give each stored hut's materializations their metadata."""

    @classmethod
    def of(cls, notes: dict[int, HutNotes]) -> HutRefreshRecorder:
        """A recorder of notes collected without Dagster (the command line's, from its update record)."""
        recorder = cls()
        recorder.notes = dict(notes)
        return recorder

    def metadata(self, outcome: HutOutcome, key: dg.AssetKey) -> dict[str, dg.MetadataValue]:
        """What the materialization of `key` for this hut shows (numbers are plotted over time)."""
        counts = outcome.counts
        assert counts is not None, f"hut {outcome.hut.slug} was not stored"
        notes = self.notes.get(outcome.hut.hut_id, HutNotes())
        md: dict[str, dg.MetadataValue] = {}
        if outcome.received_at is not None:
            md["checked_at"] = dg.MetadataValue.timestamp(outcome.received_at)
        if key == HUT_BOOKINGS:
            md |= {
                "rows_fetched": dg.MetadataValue.int(counts.fetched),
                "requests": dg.MetadataValue.int(outcome.requests),
                "rejected_days": dg.MetadataValue.int(len(outcome.rejected_days)),
                "fetch_seconds": dg.MetadataValue.float(round(outcome.fetch_seconds, 4)),
                "fullest_dates": dg.MetadataValue.md(fullest_dates_table(notes.fullest)),
            }
        elif key == HUT_AVAILABILITY:
            md |= {
                "rows_fetched": dg.MetadataValue.int(counts.fetched),
                "new": dg.MetadataValue.int(counts.new),
                "changed": dg.MetadataValue.int(counts.changed),
                "unchanged": dg.MetadataValue.int(counts.unchanged),
                "no_longer_returned": dg.MetadataValue.int(counts.missing),
                "stale": dg.MetadataValue.int(counts.stale),
                "fetch_seconds": dg.MetadataValue.float(round(outcome.fetch_seconds, 4)),
                "write_seconds": dg.MetadataValue.float(round(notes.write_seconds, 4)),
                "fullest_dates": dg.MetadataValue.md(fullest_dates_table(notes.fullest)),
            }
        else:
            md |= {
                "history_opened": dg.MetadataValue.int(counts.history_inserted),
                "history_closed": dg.MetadataValue.int(counts.history_closed),
                "changed": dg.MetadataValue.int(counts.changed),
                "new": dg.MetadataValue.int(counts.new),
                "write_seconds": dg.MetadataValue.float(round(notes.write_seconds, 4)),
            }
        return md

    def materializations(self, report: UpdateReport) -> list[dg.AssetMaterialization]:
        """One materialization per stored hut and refreshed asset, partitioned by hut slug."""
        return self.materializations_of(report.stored)

    def materializations_of(self, outcomes: Iterable[HutOutcome]) -> list[dg.AssetMaterialization]:
        """The materializations of these huts' outcomes (those stored), per refreshed asset."""
        return [
            dg.AssetMaterialization(asset_key=key, partition=outcome.hut.slug, metadata=self.metadata(outcome, key))
            for outcome in outcomes
            if outcome.ok
            for key in REFRESHED_ASSETS
        ]


def report_metadata(report: UpdateReport) -> dict[str, dg.MetadataValue]:
    """Totals of a refresh (for the run's output and the CLI's report run)."""
    t = report.totals()
    return {
        "huts_stored": dg.MetadataValue.int(len(report.stored)),
        "huts_failed": dg.MetadataValue.int(len(report.failed)),
        "rows_fetched": dg.MetadataValue.int(t.fetched),
        "new": dg.MetadataValue.int(t.new),
        "changed": dg.MetadataValue.int(t.changed),
        "unchanged": dg.MetadataValue.int(t.unchanged),
        "no_longer_returned": dg.MetadataValue.int(t.missing),
        "fetch_seconds": dg.MetadataValue.float(round(report.fetch_seconds, 3)),
        "write_seconds": dg.MetadataValue.float(round(report.db_seconds, 3)),
        "wall_seconds": dg.MetadataValue.float(round(report.wall_seconds, 3)),
    }


def failures_text(report: UpdateReport) -> str:
    """The failed huts with their reasons, one per line; the huts not asked because their provider
    was unreachable in one line per provider (`UpdateReport.failure_lines`)."""
    return "\n".join(f"- {line}" for line in report.failure_lines())


@dataclass
class RefreshResult:
    """An engine report and the recorder that watched it (a refresh run, or a CLI update to record);
    `permanent`: (source, source hut id) of the huts whose failure no retry mends (the provider said so)."""

    report: UpdateReport
    recorder: HutRefreshRecorder
    permanent: frozenset[tuple[str, str]] = frozenset()


def refresh_failure(result: RefreshResult, planned: int, retry_number: int) -> Exception | None:
    """What a refresh step raises when huts failed (None when none did), naming the huts:

    - the provider could not be reached: `dg.Failure` without retries; the message names the host
      and what to check, and the next run waits for the breaker's cool-down (persisted);
    - every failed hut failed for good (HTTP 404, other 4xx, an unusable answer): `dg.Failure`
      without retries, on the first answer;
    - otherwise `dg.RetryRequested` per REFRESH_RETRY_POLICY, waiting at least for the provider's
      cool-down; the retry fetches only the huts not stored yet.
    """
    report = result.report
    if not report.failed:
        return None
    failed_huts = {"failed_huts": dg.MetadataValue.json([o.hut.slug for o in report.failed])}
    summary = f"{len(report.failed)} of {planned} hut(s) could not be fetched ({len(report.stored)} stored)"
    if report.provider_unreachable is not None:
        return dg.Failure(
            description=f"the provider cannot be reached: {report.provider_unreachable}. {summary}; later runs ask"
            f" for them again once the cool-down and their failure backoff have passed:\n{failures_text(report)}",
            metadata=failed_huts,
            allow_retries=False,
        )
    retryable = [o for o in report.failed if (o.hut.source, o.hut.source_hut_id) not in result.permanent]
    failure = dg.Failure(description=f"{summary}:\n{failures_text(report)}", metadata=failed_huts, allow_retries=False)
    if not retryable:
        return failure
    policy = REFRESH_RETRY_POLICY
    wait = float(policy.calculate_delay(retry_number + 1))
    if report.provider_blocked_until is not None:
        wait = max(wait, (report.provider_blocked_until - dt.datetime.now(dt.UTC)).total_seconds())
    retry = dg.RetryRequested(max_retries=policy.max_retries, seconds_to_wait=round(wait, 1))
    retry.__cause__ = failure
    return retry


@dataclass(frozen=True)
class HutBookings:
    """The value of `hut_bookings` in a run: which huts' bookings to refresh, from which night,
    how many days (None: every day each site serves). Building it asks nothing: the IO manager
    fetches and stores them in one call (`refresh.parallel.refresh_huts`), fetching and writing
    overlapped, so a run holds one batch of huts in memory, not N huts' horizons."""

    huts: tuple[HutRef, ...]
    start: dt.date
    days: int | None = None


_POOLED: weakref.WeakSet[dg.DagsterInstance] = weakref.WeakSet()


def tune_event_storage(instance: dg.DagsterInstance) -> None:
    """Make this process's event writes cheap; a refresh run logs three materializations per hut.

    dagster-postgres opens a new connection for every event a run worker stores (two for an asset
    event); reuse them as the webserver does. Once per instance; a no-op for SQLite.

    Batched writes of the per-partition events of a ranged run (a UI backfill of the hut assets)
    are Dagster's opt-in DAGSTER_EVENT_BATCH_SIZE, read from the run worker's environment: it is
    given to the Dagster processes when they start (`supervisor.instance.prepare_dagster_home`,
    `./.env`, deploy/helm/values.yaml), not set here at run time.
    """
    if instance not in _POOLED:
        instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
        _POOLED.add(instance)


def log_materializations(
    context: dg.OpExecutionContext | dg.OutputContext,
    materializations: Iterator[dg.AssetMaterialization] | list[dg.AssetMaterialization],
) -> None:
    """Log materializations one by one through the public `log_event`."""
    for materialization in materializations:
        context.log_event(materialization)


def not_stored_since(db: Database, settings: Settings, huts: Sequence[HutRef], since: dt.datetime) -> list[HutRef]:
    """The huts without a successful fetch since `since` (what a retried step still has to do),
    read from the fetch status that storage.selection reports."""
    now = dt.datetime.now(dt.UTC)
    with db.connect() as conn:
        last = {p.hut.hut_id: p.last_success for p in hut_priorities(conn, settings.tiers, now, settings.zone)}
    return [h for h in huts if (ok := last.get(h.hut_id)) is None or ok < since]
