"""The update engine of one booking source: stream its huts from a provider, write them in
batches, report per hut.

Fetching and writing overlap: a writer thread stores batch N while batch N+1 is fetched. Each
batch is one transaction, so a crash loses at most the batch in flight. `store_fetched` is the one
writing path: `parallel.refresh_huts` (the refresh's entry point, for the CLI and Dagster) calls it
once per source; `run_update` is the same path for one provider object already built (tests,
benchmarks).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg

from ..domain.bookings import HutFetchResult, HutRef
from ..errors import HutAvailabilityError
from ..providers.http import CircuitBreaker
from ..storage.database import Database
from ..storage.provider_blocks import read_block, write_block
from ..storage.writer import BatchResult, HutWriteCounts, stage, write_batch
from . import DEFAULT_BATCH_SIZE

logger = logging.getLogger(__name__)
BLOCKED_REASON = "blocked: cooling down after repeated 403/429 answers"


class BookingProvider(Protocol):
    """What the engine needs of a provider: the streaming form of `get_bookings`."""

    def iter_bookings(
        self, huts: Sequence[HutRef], start: dt.date, days: int | None = None, request_interval: float | None = None
    ) -> Iterator[HutFetchResult]: ...


class StorageError(HutAvailabilityError, RuntimeError):
    """Writing a batch failed (e.g. the database went away); the batch was rolled back."""


@dataclass
class HutOutcome:
    """What happened to one hut in a run."""

    hut: HutRef
    error: str | None = None
    counts: HutWriteCounts | None = None
    received_at: dt.datetime | None = None
    fetch_seconds: float = 0.0
    requests: int = 0
    rejected_days: list[str] = field(default_factory=list)
    not_asked: str | None = None
    """Why the hut was not asked at all (its provider was unreachable and cooling down): such huts
    are reported together, once per provider, not one line each."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.counts is not None


FAILURES_LISTED = 20
"""How many failed huts a report lists one by one (the rest are counted)."""


@dataclass
class UpdateReport:
    """The outcome of one update run, per hut, with time spent per phase."""

    outcomes: dict[int, HutOutcome] = field(default_factory=dict)
    fetch_seconds: float = 0.0
    db_seconds: float = 0.0
    wall_seconds: float = 0.0
    batches: int = 0
    provider_unreachable: str | None = None
    """Why the provider could not be reached (its breaker tripped and was still open at the end)."""
    provider_blocked_until: dt.datetime | None = None
    """The end of the provider's cool-down, when its breaker was open at the end of the run."""

    @property
    def stored(self) -> list[HutOutcome]:
        return [o for o in self.outcomes.values() if o.ok]

    @property
    def failed(self) -> list[HutOutcome]:
        return [o for o in self.outcomes.values() if not o.ok]

    def totals(self) -> HutWriteCounts:
        return HutWriteCounts.sum(o.counts for o in self.stored if o.counts is not None)

    def failure_lines(self, limit: int = FAILURES_LISTED) -> list[str]:
        """The failed huts for a person to read: the huts not asked because their provider was
        unreachable in one line per provider and reason (with their number), the others one line
        each, at most `limit` of them (then how many more)."""
        lines: list[str] = []
        not_asked: dict[tuple[str, str], int] = {}
        asked = []
        for o in self.failed:
            if o.not_asked is not None:
                not_asked[(o.hut.source, o.not_asked)] = not_asked.get((o.hut.source, o.not_asked), 0) + 1
            else:
                asked.append(o)
        for (source, reason), count in not_asked.items():
            lines.append(f"{count} hut(s) of {source} not asked: {reason}")
        for o in asked[:limit]:
            lines.append(f"{o.hut.slug} ({o.hut.source}:{o.hut.source_hut_id}): {o.error}")
        if len(asked) > limit:
            lines.append(f"... and {len(asked) - limit} more hut(s)")
        return lines


FetchedCallback = Callable[[HutFetchResult], None]
StoredCallback = Callable[[BatchResult, int], None]
OutcomesCallback = Callable[[list["HutOutcome"]], None]
"""Called by the writer thread after each committed batch with the outcomes of its huts (after
`on_stored`), e.g. to report stored huts while the next batches are fetched."""


@dataclass
class FetchedHuts:
    """Huts being fetched from one provider, lazily: iterating `results` asks the provider, one hut
    result at a time, so whoever stores them (`store_fetched`) overlaps writing with fetching.

    `breaker` is the provider's circuit breaker: the store restores a block persisted by an earlier
    process before the first request and persists one this fetch starts."""

    huts: tuple[HutRef, ...]
    results: Iterator[HutFetchResult]
    breaker: CircuitBreaker | None = None


def fetch_huts(
    provider: BookingProvider,
    huts: Sequence[HutRef],
    *,
    start: dt.date,
    days: int | None = None,
    request_interval: float | None = None,
) -> FetchedHuts:
    """The lazy fetch of `huts` from `provider` (nothing is asked until it is iterated): every day
    from `start` the provider serves (its horizon differs per hut), or `days` days."""
    if days is not None and days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    chosen = tuple(huts)

    def results() -> Iterator[HutFetchResult]:
        yield from provider.iter_bookings(chosen, start, days, request_interval)

    return FetchedHuts(chosen, results(), _breaker_of(provider))


def run_update(
    db: Database,
    provider: BookingProvider,
    huts: Sequence[HutRef],
    *,
    start: dt.date,
    days: int | None = None,
    request_interval: float | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_fetched: FetchedCallback | None = None,
    on_stored: StoredCallback | None = None,
) -> UpdateReport:
    """Fetch `huts` from `provider` and store them, `batch_size` huts per transaction: every day
    from `start` the provider serves (its horizon differs per hut), or `days` days.

    A hut that fails to fetch is recorded with its reason and never stops the others. A batch that
    fails to store raises StorageError after the batches before it were committed.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    fetched = fetch_huts(provider, huts, start=start, days=days, request_interval=request_interval)
    return store_fetched(db, fetched, batch_size=batch_size, on_fetched=on_fetched, on_stored=on_stored)


def store_fetched(
    db: Database,
    fetched: FetchedHuts,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_fetched: FetchedCallback | None = None,
    on_stored: StoredCallback | None = None,
    on_outcomes: OutcomesCallback | None = None,
) -> UpdateReport:
    """Store the huts of a lazy fetch as they arrive, `batch_size` huts per transaction, writing
    batch N while batch N+1 is fetched (the one writing path of the CLI, Dagster and benchmarks).

    A hut that fails to fetch is recorded with its reason and never stops the others. A batch that
    fails to store raises StorageError after the batches before it were committed.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    report = UpdateReport()
    started = time.perf_counter()
    huts = fetched.huts
    breaker = fetched.breaker
    source_id = next((h.source_organization_id for h in huts if h.source_organization_id is not None), None)
    persisted: list[dt.datetime | None] = [None]
    if breaker is not None and source_id is not None:
        try:
            persisted[0] = restore_block(db, breaker, source_id)
        except psycopg.Error as exc:
            raise StorageError(
                f"database {db.describe()} is not usable, nothing was fetched or stored; check that it runs"
                f" and run again: {type(exc).__name__}: {str(exc).strip()}"
            ) from exc

    def persist_block(conn: Any) -> None:
        """Record a cool-down the breaker started in this run (once per opening)."""
        until = breaker.blocked_until if breaker is not None else None
        if until is not None and source_id is not None and (persisted[0] is None or until > persisted[0]):
            record_block(conn, source_id, until, breaker.unreachable if breaker is not None else None)
            persisted[0] = until

    batches: queue.Queue[tuple[list[HutFetchResult], list[list[tuple[Any, ...]]]] | None] = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def writer() -> None:
        """Store batches until the sentinel. On any failure (the database unreachable, a batch or a
        callback raising) record it and keep draining, so the fetching side never blocks on the queue."""
        try:
            with db.connect() as conn:
                while (item := batches.get()) is not None:
                    results, staged = item
                    batch = write_batch(conn, results, staged)
                    persist_block(conn)
                    report.db_seconds += batch.seconds
                    report.batches += 1
                    for r in results:
                        report.outcomes[r.hut.hut_id].counts = batch.counts.get(r.hut.hut_id)
                    if on_stored is not None:
                        on_stored(batch, len(results))
                    if on_outcomes is not None:
                        on_outcomes([report.outcomes[r.hut.hut_id] for r in results])
        except Exception as exc:
            failure.append(exc)
            while batches.get() is not None:
                pass

    thread = threading.Thread(target=writer, name="hut-availability-writer", daemon=True)
    thread.start()
    pending: list[HutFetchResult] = []
    pending_rows: list[list[tuple[Any, ...]]] = []
    not_asked = 0
    try:
        fetch_started = time.perf_counter()
        for result in fetched.results:
            report.outcomes[result.hut.hut_id] = HutOutcome(
                hut=result.hut,
                error=result.error,
                received_at=result.received_at,
                fetch_seconds=result.seconds,
                requests=result.requests,
                rejected_days=[f"{d.date or '#' + str(d.index)}: {d.reason}" for d in result.rejected_days],
            )
            if result.error and result.requests == 0 and breaker is not None and breaker.unreachable:
                not_asked += 1  # said once below, not once per hut
                report.outcomes[result.hut.hut_id].not_asked = breaker.unreachable
            elif result.error:
                logger.warning("hut %s (%s): %s", result.hut.slug, result.hut.source_hut_id, result.error)
            pending.append(result)
            pending_rows.append(stage(result))
            if on_fetched is not None:
                on_fetched(result)
            if failure:
                break  # the writer failed: stop fetching, report below
            if len(pending) >= batch_size:
                batches.put((pending, pending_rows))
                pending, pending_rows = [], []
        if pending and not failure:
            batches.put((pending, pending_rows))
        report.fetch_seconds = time.perf_counter() - fetch_started
    finally:
        batches.put(None)
        thread.join()
    report.wall_seconds = time.perf_counter() - started
    if breaker is not None and breaker.state == "open":
        report.provider_unreachable = breaker.unreachable
        report.provider_blocked_until = breaker.blocked_until
    if not_asked:
        logger.warning("%d hut(s) not asked: %s", not_asked, breaker.unreachable if breaker else "provider unreachable")
    if failure:
        cause = failure[0]
        raise StorageError(
            f"storing a batch in database {db.describe()} failed after {report.batches} batch(es) were"
            f" committed; the failed batch was rolled back and the next run will redo it (if the database"
            f" restarted, just run again): {type(cause).__name__}: {str(cause).strip()}"
        ) from cause
    return report


def _breaker_of(provider: object) -> CircuitBreaker | None:
    breaker = getattr(provider, "breaker", None)
    return breaker if isinstance(breaker, CircuitBreaker) else None


def restore_block(db: Database, breaker: CircuitBreaker, source_organization_id: int) -> dt.datetime | None:
    """Resume a provider block persisted by an earlier process (its cool-down may still run), so a
    fresh process never hammers a provider right after it blocked us; return the stored time."""
    with db.connect() as conn:
        until = read_block(conn, source_organization_id)
    if until is not None:
        breaker.restore(until)
    return until


def record_block(conn: Any, source_organization_id: int, blocked_until: dt.datetime, reason: str | None = None) -> None:
    """Persist that the provider is blocked until `blocked_until` (the breaker opened; `reason`:
    why it could not be reached, when it tripped)."""
    write_block(conn, source_organization_id, blocked_until, f"unreachable: {reason}" if reason else BLOCKED_REASON)
    logger.warning("provider blocked until %s: recorded so that other runs wait too", blocked_until.isoformat())
