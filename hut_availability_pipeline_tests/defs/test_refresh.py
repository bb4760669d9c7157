"""The refresh path in real Dagster machinery: hut partitions materialized end to end against the
simulator, the batch job and its IO manager writing through the engine into a real PostgreSQL,
per-hut metadata, a backfill of three chosen huts, retries that skip stored huts, and the CLI's
report run."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.definitions import build_definitions
from hut_availability_pipeline.defs.refresh import hut_refresh as refresh
from hut_availability_pipeline.defs.refresh.hut_refresh import HutRefreshRecorder, fullest_dates_table
from hut_availability_pipeline.defs.refresh.io_manager import HutAvailabilityIOManager
from hut_availability_pipeline.defs.refresh.jobs import REFRESH_JOBS, refresh_run_config
from hut_availability_pipeline.defs.refresh.partitions import HUT_PARTITIONS_NAME
from hut_availability_pipeline.defs.refresh.reporting import hut_update_report_job, update_record_sensor
from hut_availability_pipeline.defs.resources import BookingProvidersResource, DatabaseResource
from hut_availability_pipeline.domain.dates import today_in
from hut_availability_pipeline.providers.hut_reservation import HutReservationService
from hut_availability_pipeline.refresh.engine import UpdateReport, run_update
from hut_availability_pipeline.refresh.notes import RefreshNotes
from hut_availability_pipeline.refresh.record import save_record
from hut_availability_pipeline.simulator import FaultConfig, SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, huts_by_slug, load_huts
from hut_availability_pipeline.storage.update_records import read_update_record

from ..helpers import count

REFRESHED = ("hut_bookings", "hut_availability", "hut_availability_history")


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(seed=3, speed=0.0), port=0) as server:
        yield server


@pytest.fixture
def huts(db: Database) -> list[str]:
    """Six catalog huts (the simulator knows them), as slugs."""
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:6])
        return [h.slug for h in bookable_huts(conn)]


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def definitions(db: Database, simulator: SimulatorServer) -> dg.Definitions:
    return build_definitions(
        DatabaseResource(conninfo=db.conninfo),
        BookingProvidersResource.at(simulator.base_url, request_interval=0),
    )


def served_days(db: Database, simulator: SimulatorServer, slug: str) -> int:
    """How many nights the simulator serves for this hut from today (a run stores every one of them:
    horizons differ per hut)."""
    with db.connect() as conn:
        [hut] = huts_by_slug(conn, [slug])
    today = today_in("Europe/Zurich", dt.datetime.now(dt.UTC))
    return sum(1 for d in simulator.simulator.availability(int(hut.source_hut_id)) if d.date >= today)


def materializations(instance: dg.DagsterInstance, asset: str, slug: str | None = None) -> list[Any]:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[slug] if slug else None), limit=1000
    ).records
    return [r.asset_materialization for r in records]


def values(materialization: Any) -> dict[str, Any]:
    return {k: v.value for k, v in materialization.metadata.items()}


def test_a_hut_partition_is_materialized_end_to_end(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, huts)
    defs = definitions(db, simulator)
    first = dg.materialize([defs.get_assets_def("hut_availability")], partition_key=huts[0], instance=instance,
                           resources=defs.resources)  # fmt: skip
    assert first.success
    nights = served_days(db, simulator, huts[0])
    assert nights > 0
    assert count(db, "hut_availability") == nights
    assert count(db, "hut_availability_history") == nights
    for asset in REFRESHED:
        (m,) = materializations(instance, asset)
        assert m.partition == huts[0]
    state = values(materializations(instance, "hut_availability")[0])
    assert state["rows_fetched"] == nights and state["new"] == nights and state["changed"] == 0
    assert state["fetch_seconds"] > 0 and state["write_seconds"] > 0
    with db.connect() as conn:  # the fullest nights are bookable or full ones (none in a winter month)
        row = conn.execute("SELECT count(*) FROM hut_availability WHERE day_state IN ('bookable', 'full')").fetchone()
    listed = row[0] if row else 0
    table = "| date | state | free | total | occupancy |" if listed else "No date with a known occupancy."
    assert table in state["fullest_dates"] and "not_bookable_online" not in state["fullest_dates"]
    history = values(materializations(instance, "hut_availability_history")[0])
    assert history["history_opened"] == nights

    again = dg.materialize([defs.get_assets_def("hut_availability")], partition_key=huts[0], instance=instance,
                           resources=defs.resources)  # fmt: skip
    assert again.success
    latest = values(materializations(instance, "hut_availability", huts[0])[0])
    assert latest["unchanged"] == nights and latest["new"] == 0 and latest["no_longer_returned"] == 0
    assert count(db, "hut_availability_history") == nights


def test_a_backfill_of_three_chosen_huts_is_one_run_with_their_materializations(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    """`dagster job launch -j hut_refresh_hrs_job` with three slugs: one run, nine materializations,
    and no other hut fetched."""
    chosen = [huts[4], huts[1], huts[2]]
    job = definitions(db, simulator).get_job_def(REFRESH_JOBS["hrs"].name)
    result = job.execute_in_process(run_config=refresh_run_config(chosen), instance=instance)
    assert result.success
    assert len(instance.get_runs()) == 1
    for asset in REFRESHED:
        assert sorted(m.partition for m in materializations(instance, asset)) == sorted(chosen)
    with db.connect() as conn:
        stored = conn.execute(
            "SELECT h.slug, count(*) FROM hut_availability a JOIN huts h ON h.id = a.hut_id GROUP BY h.slug"
        ).fetchall()
    assert dict(stored) == {slug: served_days(db, simulator, slug) for slug in chosen}
    assert set(chosen) <= set(instance.get_dynamic_partitions(HUT_PARTITIONS_NAME))
    output = [e for e in result.all_events if e.event_type_value == "HANDLED_OUTPUT"]
    assert output and output[0].event_specific_data.metadata["huts_stored"].value == 3


def test_a_partition_range_run_gives_each_hut_its_own_metadata(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    """A UI backfill with BackfillPolicy.multi_run runs ranges of hut partitions like this one."""
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, huts)
    job = definitions(db, simulator).resolve_job_def("hut_backfill_job")
    result = job.execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": huts[1], "dagster/asset_partition_range_end": huts[3]},
    )
    assert result.success
    events = materializations(instance, "hut_bookings")
    assert sorted(m.partition for m in events) == sorted(huts[1:4])
    tables = {values(m)["fullest_dates"] for m in events}
    assert len(tables) == 3, "each hut has its own fullest dates"
    assert all(values(m)["rows_fetched"] == served_days(db, simulator, m.partition) for m in events)


@pytest.fixture
def fast_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """One retry of a refresh step, after a second (not ~30 s)."""
    monkeypatch.setattr(refresh, "REFRESH_RETRY_POLICY", dg.RetryPolicy(max_retries=1, delay=1))


def source_id(db: Database, slug: str) -> int:
    with db.connect() as conn:
        return int(next(h for h in bookable_huts(conn) if h.slug == slug).source_hut_id)


def fetch_failures(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT h.slug, s.consecutive_failures FROM hut_fetch_status s JOIN huts h ON h.id = s.hut_id"
        ).fetchall()
    return dict(rows)


def test_a_failing_hut_fails_the_run_naming_it_and_the_retry_skips_stored_huts(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance, fast_retry: None
) -> None:
    simulator.simulator.set_faults(FaultConfig(broken_huts=frozenset({source_id(db, huts[0])})))
    try:
        result = (
            definitions(db, simulator)
            .get_job_def(REFRESH_JOBS["hrs"].name)
            .execute_in_process(run_config=refresh_run_config(huts[:2]), instance=instance, raise_on_error=False)
        )
    finally:
        simulator.simulator.set_faults(FaultConfig())
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    failure = failures[0].event_specific_data.user_failure_data
    assert huts[0] in failure.description and "HTTP 500 after 4 attempt(s)" in failure.description
    assert failure.metadata["failed_huts"].value == [huts[0]]
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 1
    # the healthy hut was stored by the first attempt and not fetched again by the retry
    assert [m.partition for m in materializations(instance, "hut_availability")] == [huts[1]]
    assert fetch_failures(db) == {huts[0]: 2, huts[1]: 0}, "the broken hut was tried once per attempt"


def test_an_unknown_hut_id_fails_the_run_on_the_first_answer(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    """HTTP 404 (the simulator's --unknown-huts) will not heal: no retry of the request or the step
    (which took 5.5 minutes), while the other huts of the run are stored."""
    simulator.simulator.set_faults(FaultConfig(unknown_huts=frozenset({source_id(db, huts[0])})))
    started = time.monotonic()
    try:
        result = (
            definitions(db, simulator)
            .get_job_def(REFRESH_JOBS["hrs"].name)
            .execute_in_process(run_config=refresh_run_config(huts[:3]), instance=instance, raise_on_error=False)
        )
    finally:
        simulator.simulator.set_faults(FaultConfig())
    assert time.monotonic() - started < 30
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    data = failure.event_specific_data.user_failure_data
    assert data.description.startswith("1 of 3 hut(s) could not be fetched (2 stored)")
    assert f"- {huts[0]} (hrs:{source_id(db, huts[0])}): hut {source_id(db, huts[0])}" in data.description
    assert "unknown to the provider (HTTP 404)" in data.description
    assert sorted(m.partition for m in materializations(instance, "hut_availability")) == sorted(huts[1:3])
    assert fetch_failures(db)[huts[0]] == 1


@pytest.mark.parametrize(
    ("base_url", "names"),
    [
        ("refused", "refuses connections ([Errno 111] Connection refused)"),
        ("http://nonexistent.invalid", "the name nonexistent.invalid does not resolve"),
    ],
)
def test_an_unreachable_site_fails_the_run_within_a_minute_naming_the_host(
    db: Database, instance: dg.DagsterInstance, base_url: str, names: str
) -> None:
    """300 huts with the site down: one request, one message naming the host and what to check, no
    retry of the step (it took ~25 minutes and three retries), and the block is persisted so the
    next run waits for the breaker's cool-down."""
    with db.connect() as conn:
        load_huts(conn, catalog_records()[:300])
        slugs = [h.slug for h in bookable_huts(conn)]
    if base_url == "refused":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base_url = f"http://127.0.0.1:{s.getsockname()[1]}"
    defs = build_definitions(
        DatabaseResource(conninfo=db.conninfo), BookingProvidersResource.at(base_url, request_interval=1.0)
    )
    started = time.monotonic()
    result = defs.get_job_def(REFRESH_JOBS["hrs"].name).execute_in_process(
        run_config=refresh_run_config(slugs), instance=instance, raise_on_error=False
    )
    seconds = time.monotonic() - started
    print(f"unreachable site ({base_url}): the run of 300 huts failed after {seconds:.1f} s")
    assert seconds < 60
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    description = failure.event_specific_data.user_failure_data.description
    first_line = description.splitlines()[0]
    assert first_line.startswith("the provider cannot be reached: ") and names in first_line
    assert f"HRS_BASE_URL ({base_url})" in first_line and "300 of 300 hut(s) could not be fetched" in first_line
    assert set(fetch_failures(db).values()) == {1}
    with db.connect() as conn:
        until, reason = conn.execute("SELECT blocked_until, last_block_reason FROM provider_status").fetchone()
    assert 50 < (until - dt.datetime.now(dt.UTC)).total_seconds() <= 60
    assert reason.startswith("unreachable: ") and names in reason


def test_an_unknown_hut_fails_without_retry(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    job = definitions(db, simulator).get_job_def(REFRESH_JOBS["hrs"].name)
    result = job.execute_in_process(
        run_config=refresh_run_config(["no-such-hut"]), instance=instance, raise_on_error=False
    )
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "no-such-hut" in failure.event_specific_data.error.message


def test_the_io_manager_gives_downstream_inputs_the_database(db: Database, simulator: SimulatorServer) -> None:
    manager = HutAvailabilityIOManager(
        database=DatabaseResource(conninfo=db.conninfo), providers=BookingProvidersResource.at(simulator.base_url)
    )
    assert manager.load_input(dg.build_input_context()) == db


def record_update(db: Database, instance: dg.DagsterInstance, report: UpdateReport, recorder: RefreshNotes) -> str:
    """Keep the update's record as the command does, then let update_record_sensor request its run
    and execute that run on `instance` (what the daemon does); return the run id."""
    record_id = save_record(db, report, recorder, trigger="cli")
    assert record_id is not None
    database = DatabaseResource(conninfo=db.conninfo)
    with dg.build_sensor_context(instance=instance, resources={"database": database}) as context:
        result = update_record_sensor(context)
    assert isinstance(result, dg.SensorResult) and result.run_requests is not None
    (request,) = result.run_requests
    assert result.cursor == str(record_id) and request.run_key == f"update-record-{record_id}"
    run = hut_update_report_job.execute_in_process(
        instance=instance,
        run_config=request.run_config,
        tags=request.tags,
        resources={"database": database},
        raise_on_error=False,
    )
    with db.connect() as conn:
        stored = read_update_record(conn, record_id)
    assert stored is not None and stored.run_id == run.run_id and stored.recorded_at is not None
    # the next tick finds nothing new
    with dg.build_sensor_context(instance=instance, resources={"database": database}, cursor=result.cursor) as again:
        assert update_record_sensor(again).skip_reason is not None
    return run.run_id


def test_the_cli_update_is_recorded_as_a_run_with_the_same_materializations(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    with db.connect() as conn:
        refs = bookable_huts(conn)[:2]
    recorder = HutRefreshRecorder()
    with HutReservationService(base_url=simulator.base_url, request_interval=0) as provider:
        report = run_update(
            db, provider, refs, start=today_in("Europe/Zurich", dt.datetime.now(dt.UTC)), days=30,
            on_fetched=recorder.on_fetched, on_stored=recorder.on_stored,
        )  # fmt: skip
    run_id = record_update(db, instance, report, recorder)
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["hut_availability/trigger"] == "cli"
    assert run.tags["hut_availability/huts"] == "2"
    for asset in REFRESHED:
        assert sorted(m.partition for m in materializations(instance, asset)) == sorted(h.slug for h in refs)
    by_hut = {m.partition: values(m) for m in materializations(instance, "hut_availability")}
    for ref in refs:  # the counts and the notes survived the record
        md, notes = by_hut[ref.slug], recorder.notes[ref.hut_id]
        assert md["rows_fetched"] == 30 and md["new"] == 30
        assert md["fullest_dates"] == fullest_dates_table(notes.fullest)
        assert md["write_seconds"] == round(notes.write_seconds, 4) > 0


def test_a_cli_update_in_which_huts_failed_is_a_failed_run_naming_them(
    db: Database, huts: list[str], instance: dg.DagsterInstance
) -> None:
    """It showed as a green Success run even when every hut had failed."""
    with db.connect() as conn:
        refs = bookable_huts(conn)[:2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}"
    recorder = HutRefreshRecorder()
    with HutReservationService(base_url=refused, request_interval=0) as provider:
        report = run_update(
            db, provider, refs, start=today_in("Europe/Zurich", dt.datetime.now(dt.UTC)), days=30,
            on_fetched=recorder.on_fetched, on_stored=recorder.on_stored,
        )  # fmt: skip
    assert len(report.failed) == 2
    run_id = record_update(db, instance, report, recorder)
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
    (failure,) = [e for e in instance.all_logs(run_id) if e.dagster_event_type == "STEP_FAILURE"]
    data = failure.dagster_event.event_specific_data.user_failure_data
    assert data.description.startswith("2 of 2 hut(s) could not be fetched (0 stored):")
    # the hut that found the site unreachable by name, the other (not asked) counted with the reason
    assert f"- {refs[0].slug} (" in data.description and "refuses connections" in data.description
    assert "\n- 1 hut(s) of hrs not asked: 127.0.0.1:" in data.description
    assert data.metadata["failed_huts"].value == [h.slug for h in refs]
    assert not materializations(instance, "hut_availability")


def test_a_record_that_does_not_exist_fails_its_run_saying_what_the_job_is_for(
    db: Database, instance: dg.DagsterInstance
) -> None:
    run = hut_update_report_job.execute_in_process(
        instance=instance,
        run_config={"ops": {"report_hut_update": {"config": {"record_id": 987654}}}},
        resources={"database": DatabaseResource(conninfo=db.conninfo)},
        raise_on_error=False,
    )
    assert not run.success
    (failure,) = [e for e in instance.all_logs(run.run_id) if e.dagster_event_type == "STEP_FAILURE"]
    description = failure.dagster_event.event_specific_data.user_failure_data.description
    assert description.startswith("no update record 987654: this job logs what `hut-availability update` kept")


def test_fullest_dates_table_lists_the_fullest_first() -> None:
    from hut_availability_pipeline.refresh.notes import FullDate

    table = fullest_dates_table(
        [FullDate(dt.date(2026, 7, 4), 0, 40, 100.0, "full"), FullDate(dt.date(2026, 7, 5), None, 40, 90.0, "unknown")]
    )
    assert table.splitlines()[2] == "| 2026-07-04 Sat | full | 0 | 40 | 100 % |"
    assert "| unknown | ? | 40 | 90 % |" in table.splitlines()[3]


def test_the_fullest_dates_of_a_hut_are_its_really_full_nights_not_its_blocks_not_bookable_online() -> None:
    from hut_availability_pipeline.domain.bookings import DayState, HutRef, ReservationStatusEnum

    from ..helpers import result

    hut = HutRef(hut_id=1, slug="x", source="hrs", source_hut_id="1")
    sold_out = {"total": 0, "status": ReservationStatusEnum.not_possible, "state": DayState.not_bookable_online}
    at = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    fetched = result(hut, at, [None] * 3, start=dt.date(2027, 5, 1), **sold_out)  # a block far ahead
    assert fetched.nights is not None
    fetched.nights += result(hut, at, [30, 0], start=dt.date(2026, 7, 5)).nights or []
    recorder = HutRefreshRecorder()
    recorder.on_fetched(fetched)
    table = fullest_dates_table(recorder.notes[1].fullest)
    assert table.splitlines()[2:] == [
        "| 2026-07-06 Mon | full | 0 | 40 | 100 % |",
        "| 2026-07-05 Sun | bookable | 30 | 40 | 25 % |",
    ]
    assert fullest_dates_table([]) == "No date with a known occupancy."


def test_a_failed_hut_in_a_partition_range_marks_no_partition_and_the_retry_fetches_only_it(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance, fast_retry: None
) -> None:
    """Asset runs: the IO manager stores what it can, then fails before Dagster marks partitions."""
    instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, huts)
    simulator.simulator.set_faults(FaultConfig(broken_huts=frozenset({source_id(db, huts[1])})))
    try:
        result = (
            definitions(db, simulator)
            .resolve_job_def("hut_backfill_job")
            .execute_in_process(
                instance=instance,
                tags={"dagster/asset_partition_range_start": huts[0], "dagster/asset_partition_range_end": huts[2]},
                raise_on_error=False,
            )
        )
    finally:
        simulator.simulator.set_faults(FaultConfig())
    assert not result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 1 and huts[1] in str(retries[0].event_specific_data.error.cause.message)
    assert "HTTP 500" in str(retries[0].event_specific_data.error.cause.message)
    assert not materializations(instance, "hut_availability"), "no partition is marked materialized"
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT h.slug, count(a.*), s.consecutive_failures FROM huts h"
            " LEFT JOIN hut_availability a ON a.hut_id = h.id JOIN hut_fetch_status s ON s.hut_id = h.id"
            " GROUP BY h.slug, s.consecutive_failures"
        ).fetchall()
    assert {slug: (n, failures) for slug, n, failures in rows} == {
        huts[0]: (served_days(db, simulator, huts[0]), 0),
        huts[1]: (0, 2),
        huts[2]: (served_days(db, simulator, huts[2]), 0),
    }
    retried_at = next(
        e.timestamp for e in instance.all_logs(result.run_id) if e.dagster_event_type == "STEP_UP_FOR_RETRY"
    )
    with db.connect() as conn:
        attempts = dict(
            conn.execute(
                "SELECT h.slug, extract(epoch FROM s.last_attempt) FROM huts h"
                " JOIN hut_fetch_status s ON s.hut_id = h.id"
            ).fetchall()
        )
    assert attempts[huts[0]] < retried_at < attempts[huts[1]], "the retry fetched only the failed hut"


def test_hut_catalog_registers_active_huts_and_reports_the_catalog_corrections(
    db: Database, instance: dg.DagsterInstance
) -> None:
    from hut_availability_pipeline.defs.refresh.assets import hut_catalog

    result = dg.materialize([hut_catalog], resources={"database": DatabaseResource(conninfo=db.conninfo)},
                            instance=instance)  # fmt: skip
    assert result.success
    metadata = result.asset_materializations_for_node("hut_catalog")[0].metadata
    # hut-reservation.org's 567 huts (2 test huts inactive) and the 41 TMB refuges
    assert (metadata["catalog_added"].value, metadata["active_bookable_huts"].value) == (567 + 41, 565 + 41)
    assert len(instance.get_dynamic_partitions(HUT_PARTITIONS_NAME)) == 565 + 41
    table = str(metadata["catalog_corrections"].value).splitlines()
    assert table[:2] == ["| hut | what the catalog rules did |", "|---|---|"]
    assert len(table) == 2 + 20  # 18 coordinates, 2 test huts (Testhütte Carolin has both)
    assert "| testhutte-carolin | test hut: inactive |" in table
    assert "| mischabelhutte-aacz | coordinates 46.1/78.88 cannot be a hut and cannot be fixed: dropped |" in table


def huetten_holiday_huts(db: Database, cabins: int = 2) -> list[str]:
    """Hütten-Holiday cabins 1..N (the simulator serves them), as slugs."""
    records = [HutRecord("huetten-holiday", str(n), f"cabin-{n}", f"Cabin {n}") for n in range(1, cabins + 1)]
    with db.connect() as conn:
        load_huts(conn, records)
        return [h.slug for h in bookable_huts(conn) if h.source == "huetten-holiday"]


def test_a_refresh_run_of_huetten_holiday_huts_fetches_them_through_their_provider(
    db: Database, simulator: SimulatorServer, instance: dg.DagsterInstance
) -> None:
    """hut-reservation.org is down (nothing listens on its port): the Hütten-Holiday run never asks
    it, stores its cabins and gives each its materializations."""
    cabins = huetten_holiday_huts(db)
    providers = BookingProvidersResource(
        base_urls={"hrs": "http://127.0.0.1:9", "huetten-holiday": simulator.base_url}, request_interval=0
    )
    defs = build_definitions(DatabaseResource(conninfo=db.conninfo), providers)
    job = defs.get_job_def(REFRESH_JOBS["huetten-holiday"].name)
    result = job.execute_in_process(run_config=refresh_run_config(cabins, days=40), instance=instance)
    assert result.success
    assert result.dagster_run.tags["hut_availability/provider"] == "huetten-holiday"
    with db.connect() as conn:
        stored = dict(
            conn.execute(
                "SELECT h.slug, count(*) FROM hut_availability a JOIN huts h ON h.id = a.hut_id GROUP BY h.slug"
            ).fetchall()
        )
    assert stored == dict.fromkeys(cabins, 40)
    for asset in REFRESHED:
        assert sorted(m.partition for m in materializations(instance, asset)) == sorted(cabins)
    state = values(materializations(instance, "hut_availability", cabins[0])[0])
    assert state["rows_fetched"] == 40 and state["new"] == 40


def test_a_provider_job_refuses_huts_of_another_provider_naming_their_job(
    db: Database, simulator: SimulatorServer, huts: list[str], instance: dg.DagsterInstance
) -> None:
    cabins = huetten_holiday_huts(db, 1)
    job = definitions(db, simulator).get_job_def(REFRESH_JOBS["hrs"].name)
    result = job.execute_in_process(
        run_config=refresh_run_config([huts[0], cabins[0]], days=5), instance=instance, raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert f"{cabins[0]} (huetten-holiday)" in message and "hut_refresh_huetten_holiday_job" in message
    assert count(db, "hut_availability") == 0
