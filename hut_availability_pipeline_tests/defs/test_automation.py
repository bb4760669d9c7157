"""The priority sensor and the half-hourly schedule with real Dagster contexts and a real
PostgreSQL: due huts become batched run requests, in-flight huts are not requested again, the hut
partitions follow the huts table, and a refreshed hut stops being due."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator

import dagster as dg
import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.definitions import build_definitions
from hut_availability_pipeline.defs.refresh.automation import REFRESH_SCHEDULES, hut_priority_sensor, huts_in_flight
from hut_availability_pipeline.defs.refresh.hut_refresh import HUTS_PER_RUN_ENV, provider_pool
from hut_availability_pipeline.defs.refresh.jobs import REFRESH_JOBS, refresh_run_config
from hut_availability_pipeline.defs.refresh.liveness import GRPC_INFO_TAG
from hut_availability_pipeline.defs.refresh.partitions import HUT_PARTITIONS_NAME
from hut_availability_pipeline.defs.resources import BookingProvidersResource, DatabaseResource
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts


@pytest.fixture
def slugs(db: Database) -> list[str]:
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:5])
        return [h.slug for h in bookable_huts(conn)]


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def evaluate(instance: dg.DagsterInstance, db: Database) -> dg.SensorResult:
    resources = {"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = hut_priority_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def schedule(instance: dg.DagsterInstance, db: Database, at: dt.datetime) -> list[dg.RunRequest] | dg.SkipReason:
    resources = {"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()}
    with dg.build_schedule_context(instance=instance, resources=resources, scheduled_execution_time=at) as context:
        result = REFRESH_SCHEDULES["hrs"](context)
    assert isinstance(result, list | dg.SkipReason)
    return result


def requested(result: dg.SensorResult | list[dg.RunRequest]) -> list[list[str]]:
    requests = result.run_requests if isinstance(result, dg.SensorResult) else result
    return [r.run_config["ops"]["refresh_huts"]["config"]["huts"] for r in requests or []]


def test_new_huts_are_requested_in_batches_and_their_partitions_registered(
    db: Database, slugs: list[str], instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HUTS_PER_RUN_ENV, "2")
    result = evaluate(instance, db)
    assert requested(result) == [slugs[0:2], slugs[2:4], slugs[4:5]]
    request = result.run_requests[0]
    assert request.job_name == REFRESH_JOBS["hrs"].name
    assert request.tags["hut_availability/trigger"] == "sensor"
    assert request.tags["hut_availability/tiers"] == "new:2"
    (add,) = result.dynamic_partitions_requests
    assert isinstance(add, dg.AddDynamicPartitionsRequest)
    assert add.partitions_def_name == HUT_PARTITIONS_NAME and list(add.partition_keys) == slugs


def test_huts_of_queued_or_running_runs_are_not_requested_again(
    db: Database, slugs: list[str], instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, slugs)
    defs = build_definitions()
    refresh = defs.get_job_def(REFRESH_JOBS["hrs"].name)
    instance.create_run_for_job(
        refresh, run_config=refresh_run_config(slugs[:2]), status=dg.DagsterRunStatus.NOT_STARTED
    )
    backfill = defs.resolve_job_def("hut_backfill_job")
    instance.create_run_for_job(
        backfill,
        status=dg.DagsterRunStatus.STARTED,
        asset_selection={dg.AssetKey(k) for k in ("hut_bookings", "hut_availability", "hut_availability_history")},
        tags={"dagster/asset_partition_range_start": slugs[2], "dagster/asset_partition_range_end": slugs[3]},
    )
    finished = instance.create_run_for_job(
        refresh, run_config=refresh_run_config([slugs[4]]), status=dg.DagsterRunStatus.SUCCESS
    )
    assert finished.status == dg.DagsterRunStatus.SUCCESS
    assert huts_in_flight(instance) == set(slugs[:4])
    result = evaluate(instance, db)
    assert requested(result) == [[slugs[4]]]
    assert not result.dynamic_partitions_requests


def test_a_run_whose_code_server_is_gone_is_failed_and_its_huts_requested_again(
    db: Database, slugs: list[str], instance: dg.DagsterInstance
) -> None:
    """What a stop of `dagster dev` mid-run leaves: a STARTED run whose code server (the address in
    its grpc_info tag) refuses connections. A run whose code server listens is left alone."""
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, slugs)
    refresh = build_definitions().get_job_def(REFRESH_JOBS["hrs"].name)
    with socket.socket() as gone, socket.socket() as alive:
        gone.bind(("127.0.0.1", 0))
        alive.bind(("127.0.0.1", 0))
        alive.listen()
        ports = {"gone": gone.getsockname()[1], "alive": alive.getsockname()[1]}
        gone.close()  # nothing listens there any more
        runs = {
            name: instance.create_run_for_job(
                refresh,
                run_config=refresh_run_config(huts),
                status=dg.DagsterRunStatus.STARTED,
                tags={GRPC_INFO_TAG: json.dumps({"host": "127.0.0.1", "port": port})},
            )
            for (name, port), huts in zip(ports.items(), (slugs[:2], slugs[2:4]), strict=True)
        }
        result = evaluate(instance, db)
        assert requested(result) == [[*slugs[:2], slugs[4]]]
        gone_run = instance.get_run_by_id(runs["gone"].run_id)
        assert gone_run is not None and gone_run.status == dg.DagsterRunStatus.FAILURE
        alive_run = instance.get_run_by_id(runs["alive"].run_id)
        assert alive_run is not None and alive_run.status == dg.DagsterRunStatus.STARTED
    (failure,) = instance.all_logs(runs["gone"].run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    message = failure.message or ""
    assert "The worker of this run is gone" in message and f"127.0.0.1:{ports['gone']}" in message
    assert "the sensor tick" in message


def test_skip_reasons_say_why_nothing_was_requested(
    db: Database, slugs: list[str], instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, slugs)
    refresh = build_definitions().get_job_def(REFRESH_JOBS["hrs"].name)
    instance.create_run_for_job(refresh, run_config=refresh_run_config(slugs), status=dg.DagsterRunStatus.NOT_STARTED)
    result = evaluate(instance, db)
    assert not result.run_requests
    assert result.skip_reason is not None
    assert result.skip_reason.skip_message == "5 hut(s) due, all already in a queued or running run"
    scheduled = schedule(instance, db, dt.datetime.now(dt.UTC))
    assert isinstance(scheduled, dg.SkipReason)
    assert scheduled.skip_message == "5 hut(s) due, all already in a queued or running run"


def test_a_deactivated_hut_loses_its_partition_and_is_not_requested(
    db: Database, slugs: list[str], instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, slugs)
    with db.connect() as conn:
        conn.execute("UPDATE huts SET is_active = false WHERE slug = %s", (slugs[1],))
        conn.commit()
    result = evaluate(instance, db)
    (delete,) = result.dynamic_partitions_requests
    assert isinstance(delete, dg.DeleteDynamicPartitionsRequest) and list(delete.partition_keys) == [slugs[1]]
    assert requested(result) == [[s for s in slugs if s != slugs[1]]]


def test_without_huts_the_sensor_says_none_are_loaded_not_that_nothing_is_due(
    db: Database, instance: dg.DagsterInstance
) -> None:
    result = evaluate(instance, db)
    assert not result.run_requests and result.skip_reason is not None
    assert str(result.skip_reason.skip_message).startswith("0 hut(s) due: no huts loaded")
    assert "refresh interval" not in str(result.skip_reason.skip_message)


def test_refreshed_huts_are_not_due_so_the_sensor_and_the_schedule_skip(
    db: Database, slugs: list[str], instance: dg.DagsterInstance
) -> None:
    scheduled = schedule(instance, db, dt.datetime.now(dt.UTC))
    assert isinstance(scheduled, list) and requested(scheduled) == [slugs]
    assert scheduled[0].tags["hut_availability/trigger"] == "schedule"

    with SimulatorServer(SimulatorConfig(seed=5, speed=0.0), port=0) as simulator:
        defs = build_definitions(
            DatabaseResource(conninfo=db.conninfo),
            BookingProvidersResource.at(simulator.base_url, request_interval=0),
        )
        run = defs.get_job_def(REFRESH_JOBS["hrs"].name).execute_in_process(
            run_config=scheduled[0].run_config, instance=instance, tags=scheduled[0].tags
        )
    assert run.success
    result = evaluate(instance, db)
    assert not result.run_requests
    assert result.skip_reason is not None
    assert f"0 hut(s) due: every hut of {len(slugs)} is within" in str(result.skip_reason.skip_message)
    assert isinstance(schedule(instance, db, dt.datetime.now(dt.UTC)), dg.SkipReason)
    # a week later every hut is due again, whatever its tier
    later = schedule(instance, db, dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    assert isinstance(later, list) and sorted(slug for batch in requested(later) for slug in batch) == sorted(slugs)


def test_the_schedules_replace_the_seed_cronjob_one_per_provider() -> None:
    assert set(REFRESH_SCHEDULES) == {"hrs", "huetten-holiday", "tmb", "ffcam"}
    for source, schedule in REFRESH_SCHEDULES.items():
        assert schedule.cron_schedule == "*/30 * * * *"
        assert schedule.job_name == REFRESH_JOBS[source].name
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert hut_priority_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert hut_priority_sensor.minimum_interval_seconds == 60


def test_the_sensor_requests_runs_per_provider_each_in_its_job_pool_and_tag(
    db: Database, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Due huts of both providers: every run's huts are of one provider; the run is of that
    provider's job, tagged with it and its pool, and the job's op waits for that pool only."""
    monkeypatch.setenv(HUTS_PER_RUN_ENV, "2")
    cabins = [HutRecord("huetten-holiday", str(n), f"cabin-{n}", f"Cabin {n}") for n in (1, 2, 3)]
    cabins += [
        HutRecord(source, str(n), f"{source}-{n}", f"Refuge {n}") for source in ("tmb", "ffcam") for n in (1, 2, 3)
    ]
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:3] + cabins)
        source_of = {h.slug: h.source for h in bookable_huts(conn)}
    result = evaluate(instance, db)
    defs = build_definitions(DatabaseResource(conninfo=db.conninfo))
    runs: dict[str, list[list[str]]] = {}
    for request, huts in zip(result.run_requests, requested(result), strict=True):
        source = request.tags["hut_availability/provider"]
        assert {source_of[slug] for slug in huts} == {source}
        assert request.job_name == REFRESH_JOBS[source].name
        pool = defs.get_job_def(request.job_name).graph.node_named("refresh_huts").definition.pool
        assert request.tags["hut_availability/pool"] == pool == provider_pool(source)
        runs.setdefault(source, []).append(huts)
    assert {source: [len(h) for h in batches] for source, batches in runs.items()} == {
        "hrs": [2, 1],
        "huetten-holiday": [2, 1],
        "tmb": [2, 1],
        "ffcam": [2, 1],
    }
    assert provider_pool("hrs") != provider_pool("huetten-holiday")
    # the schedule of each provider requests only its own huts
    at = dt.datetime.now(dt.UTC)
    with dg.instance_for_test() as fresh:
        resources = {"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()}
        with dg.build_schedule_context(instance=fresh, resources=resources, scheduled_execution_time=at) as context:
            holiday = REFRESH_SCHEDULES["huetten-holiday"](context)
    assert isinstance(holiday, list) and {r.job_name for r in holiday} == {"hut_refresh_huetten_holiday_job"}
    assert sorted(s for huts in requested(holiday) for s in huts) == sorted(
        s for s, src in source_of.items() if src == "huetten-holiday"
    )
