"""One update run of both providers whose committed checks are appended to a commit log (JSONL) as
they commit."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from hut_availability_pipeline.domain.bookings import HutFetchResult, HutRef
from hut_availability_pipeline.providers.ffcam import FfcamService
from hut_availability_pipeline.providers.http import CircuitBreaker, RetryPolicy
from hut_availability_pipeline.providers.huetten_holiday import HuettenHolidayService
from hut_availability_pipeline.providers.hut_reservation import HutReservationService
from hut_availability_pipeline.providers.registry import BookingService
from hut_availability_pipeline.providers.tmb import TmbService
from hut_availability_pipeline.refresh.engine import UpdateReport
from hut_availability_pipeline.refresh.parallel import refresh_huts
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.writer import BatchResult

from .oracle import FFCAM, HRS, HUETTEN_HOLIDAY, TMB, CommittedCheck, stored_state

CLIENT_TIMEOUT = 0.5  # seconds: slow answers beyond this are timeouts


def provider(source: str, base_url: str) -> BookingService:
    """A client of `source` as a deployment would use it, with short timeouts and cool-downs for
    the chaos run; each source has its own retries and circuit breaker."""
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)
    breaker = CircuitBreaker(threshold=3, cooldown=0.2)
    if source == HRS:
        return HutReservationService(
            base_url=base_url, request_interval=0.0, timeout=CLIENT_TIMEOUT, retry=retry, breaker=breaker
        )
    if source == HUETTEN_HOLIDAY:
        return HuettenHolidayService(
            base_url=base_url, request_interval=0.0, timeout=CLIENT_TIMEOUT, retry=retry, breaker=breaker
        )
    if source == TMB:
        return TmbService(base_url=base_url, request_interval=0.0, timeout=CLIENT_TIMEOUT, retry=retry, breaker=breaker)
    if source == FFCAM:
        return FfcamService(
            base_url=base_url, request_interval=0.0, timeout=CLIENT_TIMEOUT, retry=retry, breaker=breaker
        )
    raise ValueError(f"the chaos run has no client for source {source!r}")


def recorded_update(
    db: Database,
    base_url: str,
    huts: list[HutRef],
    start: dt.date,
    days: int,
    commit_log: Path,
    *,
    batch_size: int = 3,
    on_fetched: object = None,
) -> tuple[UpdateReport | None, int, BaseException | None]:
    """Run an update of every source at once (`update --all`'s `refresh_huts`), both sources
    served by the simulator at `base_url`; log each committed hut check; return (report, checks
    fetched, the first storage error or None)."""
    fetched: dict[int, HutFetchResult] = {}
    lock = threading.Lock()
    n_fetched = [0]

    def fetched_cb(result: HutFetchResult) -> None:  # called by one source thread at a time
        fetched[result.hut.hut_id] = result
        n_fetched[0] += 1
        if callable(on_fetched):
            on_fetched(result)

    def stored_cb(batch: BatchResult, n: int) -> None:
        lines = []
        for hid, counts in batch.counts.items():
            r = fetched[hid]
            assert r.nights is not None
            states = {n.date: stored_state(n.places.free, n.places.total, n.day_state.value) for n in r.nights}
            check = CommittedCheck(r.hut.source, int(r.hut.source_hut_id), r.received_at, counts.stale > 0, states)
            lines.append(check.to_json() + "\n")
        with lock, commit_log.open("a", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()

    try:
        done = refresh_huts(
            db, huts, lambda source: provider(source, base_url), start=start, days=days, batch_size=batch_size,
            on_fetched=fetched_cb, on_stored=stored_cb,
        )  # fmt: skip
    except Exception as exc:
        return None, n_fetched[0], exc
    errors = done.storage_errors
    return done.merged, n_fetched[0], errors[0] if errors else None
