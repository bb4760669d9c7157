"""The data checks against a real PostgreSQL: they pass on data the pipeline wrote, and a broken
invariant fails its check with the hut and date in the description and metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest

from hut_availability_pipeline.definitions import build_definitions
from hut_availability_pipeline.defs.jobs import hut_refresh_job, refresh_run_config
from hut_availability_pipeline.defs.resources import DatabaseResource, HutReservationResource
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts, catalog_records, load_huts


@pytest.fixture(autouse=True)
def _event_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs turn on Dagster's event batching for their process; keep that inside each test."""
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")


@pytest.fixture
def refreshed(db: Database) -> Iterator[tuple[Database, list[str], dg.Definitions]]:
    """Three huts refreshed by the pipeline (30 days), a definitions object on that database."""
    with db.connect() as conn:
        load_huts(conn, catalog_records()[10:13])
        slugs = [h.slug for h in bookable_huts(conn)]
    with SimulatorServer(SimulatorConfig(seed=2, speed=0.0), port=0) as simulator, dg.instance_for_test() as inst:
        defs = build_definitions(
            DatabaseResource(conninfo=db.conninfo),
            HutReservationResource(base_url=simulator.base_url, request_interval=0),
        )
        run = defs.get_job_def(hut_refresh_job.name).execute_in_process(
            run_config=refresh_run_config(slugs, days=30), instance=inst
        )
        assert run.success
        yield db, slugs, defs


def evaluate(defs: dg.Definitions) -> dict[str, dg.AssetCheckEvaluation]:
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("hut_availability_checks_job").execute_in_process(instance=instance)
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def sql(db: Database, statement: str, params: tuple[object, ...] = ()) -> None:
    with db.connect() as conn:
        conn.execute(statement, params)  # type: ignore[arg-type]
        conn.commit()


def test_checks_pass_on_what_the_pipeline_wrote(refreshed: tuple[Database, list[str], dg.Definitions]) -> None:
    _, _, defs = refreshed
    evaluations = evaluate(defs)
    assert set(evaluations) == {
        "free_not_above_total",
        "occupancy_within_0_100",
        "one_open_state_per_hut_date",
        "upcoming_days_covered",
        "fresh_per_tier",
    }
    assert all(e.passed for e in evaluations.values()), {n: e.description for n, e in evaluations.items()}


def test_broken_invariants_fail_naming_huts_and_dates(refreshed: tuple[Database, list[str], dg.Definitions]) -> None:
    db, slugs, defs = refreshed
    with db.connect() as conn:
        first = conn.execute("SELECT min(availability_date) FROM hut_availability").fetchone()
    assert first is not None
    day: dt.date = first[0]
    sql(db, "ALTER TABLE hut_availability DROP CONSTRAINT hut_availability_day_state_check")
    sql(db, "UPDATE hut_availability SET free = 50, total = 40"
            " WHERE hut_id = (SELECT id FROM huts WHERE slug = %s) AND availability_date = %s",
        (slugs[0], day))  # fmt: skip
    sql(db, "ALTER TABLE hut_availability DROP CONSTRAINT hut_availability_occupancy_percent_check")
    sql(db, "UPDATE hut_availability SET occupancy_percent = 130"
            " WHERE hut_id = (SELECT id FROM huts WHERE slug = %s) AND availability_date = %s",
        (slugs[0], day + dt.timedelta(days=1)))  # fmt: skip
    sql(db, "DROP INDEX hut_availability_history_one_open_idx")
    sql(
        db,
        "INSERT INTO hut_availability_history (hut_id, availability_date, free, total, hut_type, reservation_status,"
        " day_state, first_checked) SELECT hut_id, availability_date, free, total, hut_type, reservation_status,"
        " day_state, first_checked"
        " FROM hut_availability_history"
        " WHERE hut_id = (SELECT id FROM huts WHERE slug = %s) AND availability_date = %s",
        (slugs[0], day),
    )
    evaluations = evaluate(defs)
    free = evaluations["free_not_above_total"]
    assert not free.passed and free.severity == dg.AssetCheckSeverity.ERROR
    assert f"{slugs[0]}, {day}" in (free.description or "")
    assert free.metadata["violations"].value == 1
    assert "| slug | availability_date | free | total |" in str(free.metadata["examples"].value)
    occupancy = evaluations["occupancy_within_0_100"]
    assert not occupancy.passed and f"{slugs[0]}, {day + dt.timedelta(days=1)}" in (occupancy.description or "")
    history = evaluations["one_open_state_per_hut_date"]
    assert not history.passed and f"{slugs[0]}, {day}" in (history.description or "")


def test_coverage_accepts_a_recorded_failure_and_freshness_flags_stale_high_tier_huts(
    refreshed: tuple[Database, list[str], dg.Definitions],
) -> None:
    db, slugs, defs = refreshed
    for slug in slugs[:2]:
        sql(db, "DELETE FROM hut_availability WHERE hut_id = (SELECT id FROM huts WHERE slug = %s)"
                " AND availability_date > (SELECT min(availability_date) + 9 FROM hut_availability)",
            (slug,))  # fmt: skip
    sql(db, "UPDATE hut_fetch_status SET consecutive_failures = 1, last_error = 'HTTP 500'"
            " WHERE hut_id = (SELECT id FROM huts WHERE slug = %s)", (slugs[1],))  # fmt: skip
    sql(db, "UPDATE hut_availability SET occupancy_percent = 90 WHERE hut_id = (SELECT id FROM huts WHERE slug = %s)",
        (slugs[2],))  # fmt: skip
    sql(db, "UPDATE hut_fetch_status SET last_success = now() - interval '2 hours'"
            " WHERE hut_id = (SELECT id FROM huts WHERE slug = %s)", (slugs[2],))  # fmt: skip
    evaluations = evaluate(defs)
    coverage = evaluations["upcoming_days_covered"]
    assert not coverage.passed and coverage.severity == dg.AssetCheckSeverity.WARN
    assert coverage.metadata["violations"].value == 1
    assert slugs[0] in (coverage.description or "") and slugs[1] not in (coverage.description or "")
    assert "missing_dates" in str(coverage.metadata["examples"].value)
    fresh = evaluations["fresh_per_tier"]
    assert not fresh.passed and fresh.description is not None
    assert f"{slugs[2]}, high" in fresh.description
    assert fresh.metadata["huts_high"].value == 1
