"""One update run whose committed checks are appended to a commit log (JSONL) as they commit."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from hut_availability_pipeline.domain.bookings import HutFetchResult, HutRef
from hut_availability_pipeline.engine import UpdateReport, run_update
from hut_availability_pipeline.providers.http import CircuitBreaker, RetryPolicy
from hut_availability_pipeline.providers.hut_reservation import HutReservationService
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.writer import BatchResult

from .oracle import CommittedCheck, stored_state

CLIENT_TIMEOUT = 0.5  # seconds: slow answers beyond this are timeouts


def provider(base_url: str) -> HutReservationService:
    """A client as a deployment would use it, with short timeouts and cool-downs for the chaos run."""
    return HutReservationService(
        base_url=base_url,
        request_interval=0.0,
        timeout=CLIENT_TIMEOUT,
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        breaker=CircuitBreaker(threshold=3, cooldown=0.2),
    )


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
    """Run an update; log each committed hut check; return (report, checks fetched, error)."""
    fetched: dict[int, HutFetchResult] = {}
    lock = threading.Lock()
    n_fetched = [0]

    def fetched_cb(result: HutFetchResult) -> None:
        fetched[result.hut.hut_id] = result
        n_fetched[0] += 1
        if callable(on_fetched):
            on_fetched(result)

    def stored_cb(batch: BatchResult, n: int) -> None:
        lines = []
        for hid, counts in batch.counts.items():
            r = fetched[hid]
            assert r.bookings is not None
            states = {
                b.date: stored_state(b.places.free, b.places.total, b.day_state.value)  # type: ignore[attr-defined]
                for b in r.bookings.bookings
            }
            check = CommittedCheck(int(r.hut.source_hut_id), r.received_at, counts.stale > 0, states)
            lines.append(check.to_json() + "\n")
        with lock, commit_log.open("a", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()

    with provider(base_url) as service:
        try:
            report = run_update(
                db, service, huts, start=start, days=days, batch_size=batch_size,
                on_fetched=fetched_cb, on_stored=stored_cb,
            )  # fmt: skip
        except Exception as exc:
            return None, n_fetched[0], exc
    return report, n_fetched[0], None
