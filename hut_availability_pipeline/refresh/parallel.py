"""Every provider at once, each at its own pace: `update --all` (and `--source`) end here.

The huts of a run are grouped by booking source; each source is fetched by its own thread with its
own service (its request interval, retries and circuit breaker) through the one engine call,
`engine.run_update`, which persists that source's block and each hut's status. A provider that is
blocked or down slows and fails only its own huts: the run takes about as long as its slowest
provider, not the sum. The reports are merged into one `UpdateReport` for the summary and the
Dagster record, and kept per source.
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
from .engine import (
    FetchedCallback,
    FetchedHuts,
    OutcomesCallback,
    StorageError,
    StoredCallback,
    UpdateReport,
    fetch_huts,
    store_fetched,
)

__all__ = ["SourceRun", "UpdateAllReport", "by_source", "run_all_sources", "services_at", "store_all_sources"]

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


def run_all_sources(
    db: Database,
    huts: Sequence[HutRef],
    service_for: ServiceFactory,
    *,
    start: dt.date,
    days: int | None = None,
    request_intervals: Mapping[str, float] | None = None,
    batch_size: int = 20,
    on_fetched: FetchedCallback | None = None,
    on_stored: StoredCallback | None = None,
) -> UpdateAllReport:
    """Fetch and store `huts`, each booking source in its own thread with its own service
    (`service_for(source)`, closed afterwards) and request interval (`request_intervals[source]`,
    else the service's own). A storage error ends only the source it happened in; the caller sees
    it in `storage_errors`."""
    groups = by_source(huts)
    intervals = dict(request_intervals or {})
    with contextlib.ExitStack() as services:
        fetches = {
            source: fetch_huts(
                services.enter_context(service_for(source)),
                group,
                start=start,
                days=days,
                request_interval=intervals.get(source),
            )
            for source, group in groups.items()
        }
        return store_all_sources(db, fetches, batch_size=batch_size, on_fetched=on_fetched, on_stored=on_stored)


def store_all_sources(
    db: Database,
    fetches: Mapping[str, FetchedHuts],
    *,
    batch_size: int = 20,
    on_fetched: FetchedCallback | None = None,
    on_stored: StoredCallback | None = None,
    on_outcomes: OutcomesCallback | None = None,
) -> UpdateAllReport:
    """Store the lazy fetch of each booking source (`engine.store_fetched`), each in its own thread,
    so every source is fetched at its own pace at the same time. A storage error ends only the
    source it happened in; the caller sees it in `storage_errors`."""
    lock = threading.Lock()
    fetched: Callable[[HutFetchResult], None] | None = _locked(on_fetched, lock)
    stored: Callable[[BatchResult, int], None] | None = _locked(on_stored, lock)
    outcomes: OutcomesCallback | None = _locked(on_outcomes, lock)
    runs = {source: SourceRun(source, len(f.huts)) for source, f in fetches.items()}

    def work(source: str) -> None:
        run = runs[source]
        try:
            run.report = store_fetched(
                db, fetches[source], batch_size=batch_size, on_fetched=fetched, on_stored=stored, on_outcomes=outcomes
            )
        except StorageError as exc:
            run.error = exc

    started = time.perf_counter()
    if len(fetches) == 1:  # one source: no thread needed
        work(next(iter(fetches)))
    else:
        threads = [
            threading.Thread(target=work, args=(source,), name=f"hut-availability-{source}", daemon=True)
            for source in fetches
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    merged = _merge([run.report for run in runs.values() if run.report is not None])
    merged.wall_seconds = time.perf_counter() - started
    return UpdateAllReport(merged, runs)


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
