"""The data checks against a real PostgreSQL: they pass on data the pipeline wrote, and a broken
invariant fails its check with the hut and date in the description and metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.definitions import build_definitions
from hut_availability_pipeline.defs.refresh.jobs import REFRESH_JOBS, refresh_run_config
from hut_availability_pipeline.defs.resources import BookingProvidersResource, DatabaseResource
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts


@pytest.fixture
def refreshed(db: Database) -> Iterator[tuple[Database, list[str], dg.Definitions]]:
    """Three huts refreshed by the pipeline (30 days), a definitions object on that database."""
    with db.connect() as conn:
        load_huts(conn, catalog_records()[13:16])  # [12] is Alpe Rossiglion, without coordinates
        slugs = [h.slug for h in bookable_huts(conn)]
    with SimulatorServer(SimulatorConfig(seed=2, speed=0.0), port=0) as simulator, dg.instance_for_test() as inst:
        defs = build_definitions(
            DatabaseResource(conninfo=db.conninfo),
            BookingProvidersResource.at(simulator.base_url, request_interval=0),
        )
        run = defs.get_job_def(REFRESH_JOBS["hrs"].name).execute_in_process(
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
        "active_huts_placed",
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


def _definitions(db: Database) -> dg.Definitions:
    """Definitions on `db` whose provider is never called (the checks only read the database)."""
    return build_definitions(
        DatabaseResource(conninfo=db.conninfo),
        BookingProvidersResource.at("http://127.0.0.1:9", request_interval=0),
    )


def test_active_huts_placed_names_huts_without_or_with_impossible_coordinates(db: Database) -> None:
    with db.connect() as conn:
        load_huts(conn, [
            HutRecord("hrs", "1", "in-place", "In Place", country="CH", lat=46.5, lon=8.0),
            HutRecord("hrs", "2", "no-place", "No Place"),
            HutRecord("hrs", "3", "far-north", "Far North", country="DE", lat=53.5, lon=10.0),
            HutRecord("hrs", "4", "ligurian", "Ligurian", country="CH", lat=43.308, lon=9.088),
            HutRecord("hrs", "5", "chamonix", "Chamonix", country="FR", lat=45.9, lon=6.9),  # no box: the region
            HutRecord("hrs", "6", "test-hut", "Test Hut", is_active=False),
        ])  # fmt: skip
    placed = evaluate(_definitions(db))["active_huts_placed"]
    assert not placed.passed and placed.severity == dg.AssetCheckSeverity.WARN
    assert placed.description == (
        "3 active hut(s) without coordinates or outside the clubs' region: far-north, outside the region of"
        " the clubs' huts; ligurian, outside CH; no-place, no coordinates."
    )
    assert placed.metadata["violations"].value == 3
    assert placed.metadata["examples"].value == (
        "| slug | problem | name | country | lat | lon |\n"
        "|---|---|---|---|---|---|\n"
        "| far-north | outside the region of the clubs' huts | Far North | DE | 53.5 | 10.0 |\n"
        "| ligurian | outside CH | Ligurian | CH | 43.308 | 9.088 |\n"
        "| no-place | no coordinates | No Place | None | None | None |"
    )


def test_active_huts_placed_flags_the_catalog_huts_whose_coordinates_were_dropped(db: Database) -> None:
    with db.connect() as conn:
        load_huts(conn, catalog_records())
    placed = evaluate(_definitions(db))["active_huts_placed"]
    assert not placed.passed
    assert placed.metadata["violations"].value == 7  # the 8th dropped, Testhütte Carolin, is inactive
    assert placed.description == (
        "7 active hut(s) without coordinates or outside the clubs' region: alpe-rossiglion, no coordinates;"
        " berghaus-alpenrosli, no coordinates; frundenhutte-sac, no coordinates; huttenrunde-gipfelwege,"
        " no coordinates; martinsmadhutte-sac, no coordinates and 2 more."
    )
