"""The refresh's one entry point, `refresh_huts`: every booking source of a set of huts at once,
each at its own pace. The CLI's `update`, the Dagster refresh jobs (sensor, schedule), the
`hut_refresh` asset (UI backfills, through the IO manager) and the chaos runs call it.

The huts are grouped by booking source; each source gets its own service (its request interval,
retries and circuit breaker) and its own thread, which stores that source's lazy fetch with
`engine.store_fetched` (batch N written while batch N+1 is fetched; each batch one transaction,
the source's block and each hut's status persisted). A provider that is blocked or down slows and
fails only its own huts: the run takes about as long as its slowest provider, not the sum. The
reports are merged into one `UpdateReport` for the summary and the Dagster record, and kept per
source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..domain.bookings import HutFetchResult, HutRef
from ..providers.registry import BookingService, provider_for
from ..storage.database import Database
from ..storage.writer import BatchResult
from . import DEFAULT_BATCH_SIZE
from .engine import (
    FetchedCallback,
    OutcomesCallback,
    StorageError,
    StoredCallback,
    UpdateReport,
    fetch_huts,
    store_fetched,
)

__all__ = ["SourceRun", "UpdateAllReport", "by_source", "refresh_huts", "services_at"]

ServiceFactory = Callable[[str], BookingService]
"""Makes the service of a booking source (the entry point gives it the site root from its settings)."""


def services_at(base_urls: Mapping[str, str]) -> ServiceFactory:
    """A service factory from the site root of each source (a source not named: the provider's default)."""

    def service_for(source: str) -> BookingService:
        return provider_for(source).create_service(base_urls.get(source))

    return service_for


@dataclass
class SourceRun:
    """One source's part of a run: its report, or the storage error that ended it."""

    source: str
    huts: int
    report: UpdateReport | None = None
    error: StorageError | None = None


@dataclass
class UpdateAllReport:
    """The merged report of every source, and each source's own."""

    merged: UpdateReport
    sources: dict[str, SourceRun] = field(default_factory=dict)
    permanent_failures: frozenset[tuple[str, str]] = frozenset()
    """(source, source hut id) of the huts whose failure no retry mends."""

    @property
    def storage_errors(self) -> list[StorageError]:
        return [run.error for run in self.sources.values() if run.error is not None]


def by_source(huts: Sequence[HutRef]) -> dict[str, list[HutRef]]:
    """The huts of each booking source, in the given order; `UnknownSourceError` for a source
    without a provider (before anything is fetched)."""
    groups: dict[str, list[HutRef]] = {}
    for hut in huts:
        groups.setdefault(hut.source, []).append(hut)
    for source in groups:
        provider_for(source)
    return groups


def _locked(callback: Callable[..., None] | None, lock: threading.Lock) -> Callable[..., None] | None:
    """The callback, called by one thread at a time (progress bars and notes are not thread-safe)."""
    if callback is None:
        return None

    def call(*args: Any) -> None:
        with lock:
            callback(*args)

    return call


def refresh_huts(
    db: Database,
    huts: Sequence[HutRef],
    service_for: ServiceFactory,
    *,
    start: dt.date,
    days: int | None = None,
    request_intervals: Mapping[str, float] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_fetched: FetchedCallback | None = None,
    on_stored: StoredCallback | None = None,
    on_outcomes: OutcomesCallback | None = None,
) -> UpdateAllReport:
    """THE refresh: fetch and store `huts` from `start` (every day served, or `days`), each
    booking source in its own thread with its own service (`service_for(source)`, closed
    afterwards) and request interval (`request_intervals[source]`, else the service's own). The
    CLI's `update`, the refresh jobs' op, the `hut_refresh` asset (UI backfills) and the chaos
    runs all call this.

    A storage error ends only the source it happened in; the caller sees it in `storage_errors`.
    The huts whose failure no retry would mend (as their services said) are in
    `permanent_failures`, read before the services are closed."""
    groups = by_source(huts)
    intervals = dict(request_intervals or {})
    lock = threading.Lock()
    fetched: Callable[[HutFetchResult], None] | None = _locked(on_fetched, lock)
    stored: Callable[[BatchResult, int], None] | None = _locked(on_stored, lock)
    outcomes: OutcomesCallback | None = _locked(on_outcomes, lock)
    runs = {source: SourceRun(source, len(group)) for source, group in groups.items()}
    with contextlib.ExitStack() as stack:
        services = {source: stack.enter_context(service_for(source)) for source in groups}
        fetches = {  # lazy: nothing is asked until a source's store iterates it
            source: fetch_huts(services[source], group, start=start, days=days, request_interval=intervals.get(source))
            for source, group in groups.items()
        }

        def work(source: str) -> None:
            """One source: its lazy fetch stored as it arrives (`engine.store_fetched`: the writer)."""
            run = runs[source]
            try:
                run.report = store_fetched(
                    db,
                    fetches[source],
                    batch_size=batch_size,
                    on_fetched=fetched,
                    on_stored=stored,
                    on_outcomes=outcomes,
                )
            except StorageError as exc:
                run.error = exc

        started = time.perf_counter()
        if len(groups) == 1:  # one source: no thread needed
            work(next(iter(groups)))
        else:
            threads = [
                threading.Thread(target=work, args=(source,), name=f"hut-availability-{source}", daemon=True)
                for source in groups
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        merged = _merge([run.report for run in runs.values() if run.report is not None])
        merged.wall_seconds = time.perf_counter() - started
        permanent = frozenset(
            (source, hut_id)
            for source, service in services.items()
            for hut_id in getattr(service, "permanent_failures", ())
        )
    return UpdateAllReport(merged, runs, permanent)


def _merge(reports: list[UpdateReport]) -> UpdateReport:
    """One report of several sources: outcomes together, times of the phases as the longest
    source's (they ran at once), batches summed, unreachable providers named together."""
    merged = UpdateReport()
    for report in reports:
        merged.outcomes.update(report.outcomes)
        merged.fetch_seconds = max(merged.fetch_seconds, report.fetch_seconds)
        merged.db_seconds += report.db_seconds
        merged.batches += report.batches
        if report.provider_unreachable:
            merged.provider_unreachable = "; ".join(
                r for r in (merged.provider_unreachable, report.provider_unreachable) if r
            )
        if report.provider_blocked_until is not None:
            merged.provider_blocked_until = max(
                t for t in (merged.provider_blocked_until, report.provider_blocked_until) if t is not None
            )
    return merged
