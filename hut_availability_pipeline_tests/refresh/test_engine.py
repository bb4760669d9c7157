"""The engine end to end: the provider over loopback against the simulator, into PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.domain.bookings import HutRef
from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.refresh.engine import StorageError, fetch_huts, run_update, store_fetched
from hut_availability_pipeline.simulator import FaultConfig
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts

from ..helpers import count


def _load(db, n):
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:n])
        return bookable_huts(conn)


def _sim_today(server) -> dt.date:
    return server.simulator.now().date()


def test_first_and_second_pass_against_the_simulator(any_db, own_simulator):
    huts = _load(any_db, 6)
    service = HutReservationService(base_url=own_simulator.base_url, request_interval=0)
    stored_batches: list[int] = []
    start = _sim_today(own_simulator)
    first = run_update(
        any_db,
        service,
        huts,
        start=start,
        days=120,
        batch_size=4,
        on_stored=lambda b, n: stored_batches.append(n),
    )
    assert [o.hut.slug for o in first.failed] == []
    totals = first.totals()
    assert totals.new == totals.fetched > 6 * 100
    assert count(any_db, "hut_availability_history") == totals.fetched
    assert stored_batches == [4, 2] and first.batches == 2

    own_simulator.simulator.advance(hours=72)
    second = run_update(any_db, service, huts, start=start, days=120, batch_size=4)
    t = second.totals()
    assert t.changed > 0, "three simulated days of bookings change something"
    assert t.changed + t.unchanged + t.new + t.stale == t.fetched
    assert count(any_db, "hut_availability_history") == totals.fetched + t.changed + t.new
    with any_db.connect() as conn:
        dup = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM hut_availability_history WHERE last_checked IS NULL"
            " GROUP BY hut_id, availability_date HAVING count(*) > 1) d"
        ).fetchone()
        received = conn.execute(
            "SELECT count(DISTINCT last_checked) FROM hut_availability WHERE availability_date >= %s",
            (start + dt.timedelta(days=3),),
        ).fetchone()
    assert dup == (0,)
    assert received is not None and received[0] == 6, "each hut's rows carry the time its answer arrived"
    assert t.missing == 6 * 3, "the three days that passed are no longer served and are left as they were"


def test_a_failing_hut_never_stops_the_others(db, own_simulator):
    huts = _load(db, 4)
    broken = int(huts[1].source_hut_id)
    own_simulator.simulator.set_faults(FaultConfig(broken_huts=frozenset({broken})))
    service = HutReservationService(base_url=own_simulator.base_url, request_interval=0, sleep=lambda s: None)
    report = run_update(db, service, huts, start=_sim_today(own_simulator), days=30)
    assert [o.hut.slug for o in report.failed] == [huts[1].slug]
    assert "500" in (report.failed[0].error or "")
    assert len(report.stored) == 3
    with db.connect() as conn:
        status = conn.execute(
            "SELECT consecutive_failures, last_error IS NOT NULL FROM hut_fetch_status WHERE hut_id = %s",
            (huts[1].hut_id,),
        ).fetchone()
    assert status == (1, True)


def test_a_failing_batch_raises_and_keeps_the_batches_before_it(db, simulator):
    huts = _load(db, 2)
    ghost = HutRef(hut_id=999_999, slug="ghost", source="hrs", source_hut_id=huts[0].source_hut_id)
    service = HutReservationService(base_url=simulator.base_url, request_interval=0)
    with pytest.raises(StorageError, match=r"after 1 batch\(es\) were committed"):
        run_update(db, service, [*huts, ghost], start=_sim_today(simulator), days=10, batch_size=2)
    with db.connect() as conn:
        stored = conn.execute("SELECT count(DISTINCT hut_id) FROM hut_availability").fetchone()
    assert stored == (2,)


def test_rejects_bad_arguments(db, simulator):
    service = HutReservationService(base_url=simulator.base_url, request_interval=0)
    with pytest.raises(ValueError, match="batch_size"):
        run_update(db, service, [], start=dt.date.today(), batch_size=0)


def test_a_raising_callback_fails_the_run_instead_of_hanging_it(db, simulator):
    huts = _load(db, 5)
    service = HutReservationService(base_url=simulator.base_url, request_interval=0)

    def broken_progress(batch, n):
        raise RuntimeError("progress display broke")

    with pytest.raises(StorageError, match="progress display broke"):
        run_update(db, service, huts, start=_sim_today(simulator), days=5, batch_size=1, on_stored=broken_progress)
    with db.connect() as conn:
        stored = conn.execute("SELECT count(DISTINCT hut_id) FROM hut_availability").fetchone()
    assert stored == (1,), "the first batch committed before its callback raised; nothing after it"


def test_a_lazy_fetch_asks_nothing_until_stored_and_reports_each_batch_as_committed(db, simulator):
    """`fetch_huts` builds the fetch without a request; `store_fetched` writes it in batches and
    hands each committed batch's outcomes (with their counts) to `on_outcomes`."""
    huts = _load(db, 5)
    requests: list[str] = []
    client = httpx.Client(
        timeout=20, follow_redirects=True, event_hooks={"request": [lambda r: requests.append(str(r.url))]}
    )
    service = HutReservationService(base_url=simulator.base_url, request_interval=0, client=client)
    fetched = fetch_huts(service, huts, start=_sim_today(simulator), days=7)
    assert requests == [] and fetched.huts == tuple(huts) and fetched.breaker is service.breaker
    batches: list[list[tuple[str, int]]] = []

    def committed(outcomes):
        rows = count(db, "hut_availability")  # this batch is committed when it is reported
        assert rows == 7 * (sum(len(b) for b in batches) + len(outcomes))
        batches.append([(o.hut.slug, o.counts.new) for o in outcomes])

    report = store_fetched(db, fetched, batch_size=2, on_outcomes=committed)
    assert batches == [[(h.slug, 7) for h in huts[i : i + 2]] for i in range(0, 5, 2)]
    assert len(requests) == 5 and len(report.stored) == 5
