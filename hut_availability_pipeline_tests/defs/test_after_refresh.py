"""What follows a refresh batch, on the real Dagster machinery, the simulator and a real database:
a finished refresh run (successful or not) gets one run of the data checks, and the trends are
derived as soon as every hut has been tried once, not a day later."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.definitions import build_definitions
from hut_availability_pipeline.defs.checks.checks import availability_checks
from hut_availability_pipeline.defs.refresh.after_refresh import after_refresh_sensor
from hut_availability_pipeline.defs.refresh.jobs import REFRESH_JOBS, refresh_run_config
from hut_availability_pipeline.defs.resources import BookingProvidersResource, DatabaseResource
from hut_availability_pipeline.simulator import FaultConfig, SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(seed=4, speed=0.0), port=0) as server:
        yield server


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def slugs_of(db: Database, n: int) -> list[str]:
    with db.connect() as conn:
        load_huts(conn, catalog_records()[20 : 20 + n])
        return [h.slug for h in bookable_huts(conn)]


def tick(
    instance: dg.DagsterInstance, db: Database, cursor: str | None = None
) -> tuple[list[dg.RunRequest], str | None, str | None]:
    """(run requests, skip reason, new cursor) of one evaluation of the sensor."""
    resources = {"database": DatabaseResource(conninfo=db.conninfo), "settings": load_settings()}
    with dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor) as context:
        result = after_refresh_sensor(context)
    assert isinstance(result, dg.SensorResult)
    skip = result.skip_reason.skip_message if result.skip_reason else None
    return list(result.run_requests or []), skip, result.cursor


def refresh(
    db: Database, simulator: SimulatorServer, instance: dg.DagsterInstance, slugs: list[str]
) -> dg.ExecuteInProcessResult:
    defs = build_definitions(
        DatabaseResource(conninfo=db.conninfo),
        BookingProvidersResource.at(simulator.base_url, request_interval=0),
    )
    return defs.get_job_def(REFRESH_JOBS["hrs"].name).execute_in_process(
        run_config=refresh_run_config(slugs, days=30), instance=instance, raise_on_error=False
    )


def test_checks_run_after_each_refresh_batch_and_trends_after_the_first_load(
    db: Database, simulator: SimulatorServer, instance: dg.DagsterInstance
) -> None:
    slugs = slugs_of(db, 4)
    requests, skip, cursor = tick(instance, db)
    assert not requests and skip == "no refresh run finished since the last check run"

    # the first batch: the checks follow; the trends wait for the huts not tried yet
    assert refresh(db, simulator, instance, slugs[:2]).success
    requests, skip, cursor = tick(instance, db, cursor)
    assert [r.job_name for r in requests] == ["hut_availability_checks_job"] and skip is None
    assert tick(instance, db, cursor)[0] == [], "a finished run gets its checks once"

    # the second batch fails for one hut (its data is still stored): checks again, and the first load is done
    with db.connect() as conn:
        broken = next(int(h.source_hut_id) for h in bookable_huts(conn) if h.slug == slugs[3])
    simulator.simulator.set_faults(FaultConfig(unknown_huts=frozenset({broken})))
    assert not refresh(db, simulator, instance, slugs[2:]).success
    requests, _, cursor = tick(instance, db, cursor)
    assert [r.job_name for r in requests] == ["hut_availability_checks_job", "hut_availability_trends_job"]

    defs = build_definitions(DatabaseResource(conninfo=db.conninfo))
    checks = defs.resolve_job_def(requests[0].job_name).execute_in_process(instance=instance)
    evaluations = checks.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {c.check_key.name for c in availability_checks}
    assert all(e.passed for e in evaluations), [e.description for e in evaluations]
    trends = defs.resolve_job_def(requests[1].job_name).execute_in_process(instance=instance)
    assert trends.success

    # a later batch: checks only, the trends are derived (and kept daily by their schedule)
    simulator.simulator.set_faults(FaultConfig())
    assert refresh(db, simulator, instance, slugs[3:]).success
    requests, _, _ = tick(instance, db, cursor)
    assert [r.job_name for r in requests] == ["hut_availability_checks_job"]
