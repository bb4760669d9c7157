"""Watches on the real Dagster machinery: a refresh run against the simulator writes states, the
sensor asks for one watch run after it, and that run evaluates the watch and delivers exactly one
message to a real webhook; its steps' metadata count what they did."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.config import Settings, load_settings
from hut_availability_pipeline.definitions import build_definitions
from hut_availability_pipeline.defs.refresh.jobs import REFRESH_JOBS, refresh_run_config
from hut_availability_pipeline.defs.resources import BookingProvidersResource, DatabaseResource
from hut_availability_pipeline.defs.watches.watches import DELIVERY_POOL, deliver_notifications, watch_alerts_sensor
from hut_availability_pipeline.domain.watches import WatchKind, WatchSpec
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.subscriptions import confirm, subscribe
from hut_availability_pipeline.storage.watches import add_watch
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.supervisor import instance as project_instance

from ..conftest import libpq_url
from ..helpers import add_huts, result
from ..receivers import smtp_receiver, webhook_receiver

DAY0 = dt.date.today() + dt.timedelta(days=30)


def project_environment(db: Database, home: Path, dagster_home: Path) -> dict[str, str]:
    """The environment of a Dagster process on the test's database and the project's instance."""
    return {
        **os.environ,
        "DATABASE_URL": libpq_url(db),
        "HUT_AVAILABILITY_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        project_instance.DAGSTER_POSTGRES_URL_ENV: db.sqlalchemy_url("psycopg2"),
    }


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(seed=4, speed=0.0), port=0) as server:
        yield server


def tick(instance: dg.DagsterInstance, cursor: str | None = None) -> tuple[list[dg.RunRequest], str | None]:
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
        result = watch_alerts_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return list(result.run_requests or []), result.cursor


def step_metadata(result: dg.ExecuteInProcessResult, step: str) -> dict[str, object]:
    [event] = [e for e in result.all_events if e.is_successful_output and e.step_key == step] or [None]
    assert event is not None, step
    return {k: v.value for k, v in event.event_specific_data.metadata.items()}  # type: ignore[union-attr]


def test_a_refresh_run_is_followed_by_one_watch_run_that_delivers_once(db: Database, simulator: SimulatorServer):
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:30])
        huts = bookable_huts(conn)
    today = dt.date.today()
    defs = build_definitions(
        DatabaseResource(conninfo=db.conninfo), BookingProvidersResource.at(simulator.base_url, request_interval=0)
    )
    with webhook_receiver() as receiver, dg.instance_for_test() as instance:
        with db.connect() as conn:
            for hut in huts:  # a watch on every hut, before any of its states
                spec = WatchSpec(WatchKind.hut, (hut.hut_id,), today, today + dt.timedelta(days=400))
                add_watch(conn, spec, receiver.url(), hut.slug)
        assert tick(instance)[0] == []
        refresh = defs.get_job_def(REFRESH_JOBS["hrs"].name).execute_in_process(
            run_config=refresh_run_config([h.slug for h in huts]), instance=instance
        )
        assert refresh.success
        with db.connect() as conn:
            free = conn.execute(
                "SELECT h.slug FROM huts h WHERE EXISTS (SELECT FROM hut_availability a WHERE a.hut_id = h.id"
                " AND a.day_state = 'bookable' AND a.free >= 1 AND a.availability_date BETWEEN %s AND %s) ORDER BY 1",
                (today, today + dt.timedelta(days=400)),
            ).fetchall()
        with_free = [row[0] for row in free]
        assert with_free, "no hut of the simulator has a free night: watch others"
        requests, cursor = tick(instance)
        assert len(requests) == 1
        assert tick(instance, cursor)[0] == [], "one watch run per finished refresh run"
        job = defs.get_job_def(requests[0].job_name or "watch_alerts_job")
        first = job.execute_in_process(instance=instance)
        second = job.execute_in_process(instance=instance)
    assert step_metadata(first, "evaluate_watches") == {
        "watches evaluated": len(huts),
        "watches fired": len(with_free),
        "watches expired": 0,
    }
    assert step_metadata(first, "deliver_notifications") == {
        "notifications delivered": len(with_free),
        "notifications failed": 0,
    }
    assert step_metadata(second, "evaluate_watches")["watches fired"] == 0
    assert sorted(m["title"] for m in receiver.received) == [f"Free: {slug}" for slug in with_free]  # once each


def test_delivery_is_its_own_step_with_a_retry_policy_in_a_pool():
    assert deliver_notifications.retry_policy is not None and deliver_notifications.retry_policy.max_retries == 3
    assert deliver_notifications.pool == DELIVERY_POOL


@pytest.fixture
def project_dagster_home(tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME with the project's dagster.yaml (as `hut-availability dev` prepares it),
    Dagster's storage in the test database."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path))
    monkeypatch.setenv(project_instance.DAGSTER_POSTGRES_URL_ENV, db.sqlalchemy_url("psycopg2"))
    return Path(project_instance.prepare_dagster_home(load_settings())["DAGSTER_HOME"])


def step_times(instance: dg.DagsterInstance, run_id: str, step: str) -> tuple[float, float]:
    """When `step` of the run started and succeeded (epoch seconds)."""
    [started] = [
        e.timestamp for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START) if e.step_key == step
    ]
    [ended] = [
        e.timestamp for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS) if e.step_key == step
    ]
    return started, ended


def test_the_delivery_pool_of_dagster_yaml_lets_one_delivery_step_run_at_a_time(
    db: Database, project_dagster_home: Path
):
    """dagster.yaml's pools default_limit (1) is the `watch_delivery` pool's limit: while one run
    delivers to a slow channel, a second run's delivery step does not start (not even to wait for
    the storage's delivery lock) until the first one's has ended."""
    [hut, _] = add_huts(db)
    defs = build_definitions(
        DatabaseResource(conninfo=db.conninfo),
        BookingProvidersResource.at("http://127.0.0.1:9", request_interval=0),
    )
    job = defs.get_job_def("watch_alerts_job")
    with webhook_receiver() as receiver:
        receiver.delay = 3.0
        with db.connect() as conn:
            spec = WatchSpec(WatchKind.hut, (hut.hut_id,), DAY0, DAY0)
            add_watch(conn, spec, receiver.url(), "Konkordia")
            write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [3], start=DAY0)])
        outcomes: dict[str, dg.ExecuteInProcessResult] = {}

        def run(name: str) -> None:
            instance = dg.DagsterInstance.from_config(str(project_dagster_home))
            try:
                outcomes[name] = job.execute_in_process(instance=instance)
            finally:
                instance.dispose()

        first = threading.Thread(target=run, args=("first",))
        first.start()
        assert receiver.arrived.wait(120), "the first run never delivered"
        run("second")  # its delivery step waits for the pool's one slot
        first.join(120)
    assert outcomes["first"].success and outcomes["second"].success
    assert receiver.most_at_once == 1 and len(receiver.received) == 1
    instance = dg.DagsterInstance.from_config(str(project_dagster_home))
    try:
        limits = (
            instance.get_concurrency_config().pool_config.default_pool_limit,
            instance.event_log_storage.get_concurrency_info(DELIVERY_POOL).slot_count,
        )
        _, first_end = step_times(instance, outcomes["first"].run_id, "deliver_notifications")
        [answered] = receiver.answered_at  # the first run's delivery step ran at least until then
        second_start, _ = step_times(instance, outcomes["second"].run_id, "deliver_notifications")
        evaluated, _ = step_times(instance, outcomes["second"].run_id, "evaluate_watches")
    finally:
        instance.dispose()
    assert evaluated < answered < first_end, "the second run ran while the first one delivered"
    assert second_start >= answered, "two delivery steps ran at once"
    assert limits == (1, 1)  # dagster.yaml's default limit, given to the pool when a step first claimed it


def test_sigkill_of_a_dagster_run_mid_delivery_loses_nothing_and_resends_only_the_message_in_flight(
    db: Database, project_dagster_home: Path, tmp_path: Path
):
    """A real run (`dagster job execute`, the project's instance) is SIGKILLed, with all its
    processes, while a slow webhook holds its second message's request open. What is delivered
    stays delivered; the message in flight was not recorded as delivered, so the next run sends it
    again, with the same idempotency key (header, JSON field, last line): never lost, at most one
    duplicate per crash, and a receiver that dedupes by the key sees each message once."""
    [hut, _] = add_huts(db)
    env = project_environment(db, tmp_path, project_dagster_home)
    command = [
        *(str(Path(sys.executable).parent / "dagster"), "job", "execute"),
        *("-m", "hut_availability_pipeline.definitions", "-a", "defs", "-j", "watch_alerts_job"),
    ]
    with webhook_receiver() as receiver:
        with db.connect() as conn:
            for night in range(3):  # three watches, three messages
                spec = WatchSpec(
                    WatchKind.hut, (hut.hut_id,), DAY0 + dt.timedelta(days=night), DAY0 + dt.timedelta(days=night)
                )
                add_watch(conn, spec, receiver.url(), f"night {night}")
            write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [3, 3, 3], start=DAY0)])
        receiver.delays = [0.0, 600.0]  # the second message's request is held open
        with subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        ) as run:
            deadline = time.monotonic() + 180
            while len(receiver.received) < 2 and time.monotonic() < deadline and run.poll() is None:
                time.sleep(0.05)
            assert len(receiver.received) == 2, run.stdout.read().decode() if run.poll() is not None else "too slow"  # type: ignore[union-attr]
            os.killpg(run.pid, signal.SIGKILL)  # the run's process and any child of it
            assert run.wait(30) == -signal.SIGKILL
        # The dead run still holds the pool's one slot: no run would deliver again until Dagster
        # ends it. Under `dagster dev` the code server fails a run whose worker died (or
        # defs/refresh/liveness.py does, when the code server died too) and the daemon's run monitoring
        # then frees its slots (dagster.yaml: free_slots_after_run_end_seconds). Here, without a
        # code server or daemon, the test does those two steps itself.
        instance = dg.DagsterInstance.from_config(str(project_dagster_home))
        try:
            [dead] = instance.get_runs(filters=dg.RunsFilter(job_name="watch_alerts_job"))
            assert dead.status == dg.DagsterRunStatus.STARTED
            assert instance.event_log_storage.get_concurrency_info(DELIVERY_POOL).claimed_slots
            instance.report_run_failed(dead, "its process was killed (SIGKILL) mid-delivery")
            instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
        finally:
            instance.dispose()
        with db.connect() as conn:
            delivered = conn.execute(
                "SELECT idempotency_key, delivered_at IS NOT NULL FROM notifications ORDER BY id"
            ).fetchall()
        keys = [key for key, _ in delivered]
        assert [done for _, done in delivered] == [True, False, False]  # the one in flight: not recorded
        assert [m["idempotency_key"] for m in receiver.received] == keys[:2]
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert again.returncode == 0, again.stdout + again.stderr
        with db.connect() as conn:
            assert conn.execute("SELECT count(*) FROM notifications WHERE delivered_at IS NULL").fetchone() == (0,)
        third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert third.returncode == 0, third.stdout + third.stderr
    received = [m["idempotency_key"] for m in receiver.received]
    assert received == [keys[0], keys[1], keys[1], keys[2]]  # the one in flight twice, nothing lost
    assert [h["Idempotency-Key"] for h in receiver.headers] == received
    assert [m["message"].rsplit("\n", 1)[-1] for m in receiver.received] == [f"[{k}]" for k in received]
    assert len(set(received)) == 3  # deduped by the key: each message once


RUN_METADATA_QUERY = """
query($id: ID!) {
  runOrError(runId: $id) {
    ... on Run {
      status
      eventConnection {
        events {
          ... on ExecutionStepOutputEvent {
            stepKey
            metadataEntries { label ... on IntMetadataEntry { intValue } }
          }
        }
      }
    }
  }
}
"""


def test_the_ui_shows_per_run_how_many_watches_were_evaluated_fired_and_delivered(
    db: Database, project_dagster_home: Path, tmp_path: Path
):
    """What the Dagster UI shows of a watch run, asked of a real dagster-webserver over its
    GraphQL API (the UI's own source): each step's counts, on the run's page."""
    [hut, other] = add_huts(db)
    defs = build_definitions(
        DatabaseResource(conninfo=db.conninfo),
        BookingProvidersResource.at("http://127.0.0.1:9", request_interval=0),
    )
    with webhook_receiver() as receiver:
        with db.connect() as conn:
            for h in (hut, other):
                add_watch(conn, WatchSpec(WatchKind.hut, (h.hut_id,), DAY0, DAY0), receiver.url(), h.slug)
            add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), DAY0, DAY0, beds=9), receiver.url())  # too few
            write_batch(
                conn,
                [result(h, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [3], start=DAY0) for h in (hut, other)],
            )
        instance = dg.DagsterInstance.from_config(str(project_dagster_home))
        try:
            run = defs.get_job_def("watch_alerts_job").execute_in_process(instance=instance)
        finally:
            instance.dispose()
    assert run.success and len(receiver.received) == 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = project_environment(db, tmp_path, project_dagster_home)
    command = [
        str(Path(sys.executable).parent / "dagster-webserver"),
        *("-m", "hut_availability_pipeline.definitions", "-a", "defs", "-h", "127.0.0.1", "-p", str(port)),
    ]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    ) as web:
        try:
            data = None
            deadline = time.monotonic() + 180
            while data is None and time.monotonic() < deadline and web.poll() is None:
                try:
                    answer = httpx.post(
                        f"http://127.0.0.1:{port}/graphql",
                        json={"query": RUN_METADATA_QUERY, "variables": {"id": run.run_id}},
                        timeout=10,
                    )
                    data = answer.json()["data"]["runOrError"] if answer.status_code == 200 else None
                except httpx.HTTPError:
                    time.sleep(1)
            assert data is not None, web.stderr.read().decode()[-3000:] if web.poll() is not None else "no answer"  # type: ignore[union-attr]
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(60)
    shown = {
        event["stepKey"]: {entry["label"]: entry.get("intValue") for entry in event["metadataEntries"]}
        for event in data["eventConnection"]["events"]
        if event.get("stepKey")
    }
    assert data["status"] == "SUCCESS"
    assert shown == {
        "evaluate_watches": {"watches evaluated": 3, "watches fired": 2, "watches expired": 0},
        "deliver_notifications": {"notifications delivered": 2, "notifications failed": 0},
    }


def test_the_watch_job_sends_a_confirmed_email_watch_its_alert_by_smtp(db: Database):
    """An e-mail watch (confirmed on the web) goes through the same job: evaluated after a change,
    delivered by the settings' SMTP server with its unsubscribe headers; a pending one gets nothing."""
    [hut, other] = add_huts(db)
    with smtp_receiver() as (mailbox, port), dg.instance_for_test() as instance:
        settings = Settings(smtp_url=f"smtp://127.0.0.1:{port}", mail_from="huts@example.org",
                            public_url="https://huts.example.org")  # fmt: skip
        defs = build_definitions(DatabaseResource(conninfo=db.conninfo), settings=settings)
        with db.connect() as conn:
            for h, address in ((hut, "anna@example.org"), (other, "ben@example.org")):
                spec = WatchSpec(WatchKind.hut, (h.hut_id,), DAY0, DAY0)
                tokens = {"confirm_token": f"confirm-{address}-xxxxxxxxxx", "unsubscribe_token": f"unsub-{address}-x"}
                subscribe(conn, spec, address, "c", **tokens, title="Confirm", body="Open the link")
            conn.execute("UPDATE notifications SET delivered_at = now()")  # the confirmations went out
            confirm(conn, "confirm-anna@example.org-xxxxxxxxxx")  # ben never confirms
            at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
            write_batch(conn, [result(hut, at, [3], start=DAY0), result(other, at, [3], start=DAY0)])
        run = defs.get_job_def("watch_alerts_job").execute_in_process(instance=instance)
        assert run.success
        assert step_metadata(run, "deliver_notifications")["notifications delivered"] == 1
        deadline = time.monotonic() + 10
        while not mailbox.messages:
            assert time.monotonic() < deadline, "no e-mail arrived"
            time.sleep(0.05)
    [message] = mailbox.messages
    assert message["To"] == "anna@example.org" and message["Subject"] == f"Free: Hut 0, night of {DAY0.isoformat()}"
    assert message["List-Unsubscribe"] == "<https://huts.example.org/alerts/unsubscribe/unsub-anna@example.org-x>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
