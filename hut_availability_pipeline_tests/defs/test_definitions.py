"""The one Definitions object: it loads (also through Dagster's own CLIs), names the assets as the
project does, wires lineage, partitions, pools, retries and backfill policy as designed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from hut_availability_pipeline.config import ConfigError, Settings, load_settings
from hut_availability_pipeline.definitions import build_definitions, defs
from hut_availability_pipeline.defs.refresh.hut_refresh import BACKFILL_POOL, REFRESH_RETRY_POLICY
from hut_availability_pipeline.defs.refresh.jobs import REFRESH_JOBS
from hut_availability_pipeline.defs.refresh.partitions import HUT_PARTITIONS_NAME
from hut_availability_pipeline.storage.database import Database

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load_with_every_job_schedule_and_sensor() -> None:
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {j.name for j in repo.get_all_jobs()} >= {
        "hut_refresh_hrs_job",
        "hut_refresh_huetten_holiday_job",
        "hut_refresh_tmb_job",
        "hut_refresh_ffcam_job",
        "hut_backfill_job",
        "hut_availability_checks_job",
        "hut_update_report_job",
        "dagster_maintenance_job",
        "hut_availability_trends_job",
        "retention_job",
        "watch_alerts_job",
    }
    assert {s.name for s in repo.schedule_defs} >= {
        "hut_refresh_hrs_schedule",
        "hut_refresh_huetten_holiday_schedule",
        "hut_refresh_tmb_schedule",
        "hut_refresh_ffcam_schedule",
        "hut_availability_checks_schedule",
        "dagster_maintenance_schedule",
        "hut_availability_trends_daily",
    }
    assert sorted(s.name for s in repo.sensor_defs) == [
        "after_refresh_sensor",
        "hut_priority_sensor",
        "update_record_sensor",
        "watch_alerts_sensor",
    ]
    assert set(defs.resources) == {"settings", "database", "providers", "hut_availability_io_manager"}


def test_lineage_runs_catalog_bookings_current_state_history() -> None:
    graph = defs.resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert parents["hut_catalog"] == set()
    assert parents["hut_bookings"] == {"hut_catalog"}
    assert parents["hut_availability"] == {"hut_bookings"}
    assert parents["hut_availability_history"] == {"hut_availability"}
    assert parents["hut_availability_trends"] == {"hut_availability_history"}
    for key in ("hut_bookings", "hut_availability", "hut_availability_history"):
        partitions = graph.get(dg.AssetKey(key)).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == HUT_PARTITIONS_NAME
    checks = {k.name for k in graph.asset_check_keys}
    assert {"free_not_above_total", "one_open_state_per_hut_date", "fresh_per_tier"} <= checks


def test_each_provider_has_its_own_pool_and_calls_retry_with_exponential_backoff_and_jitter() -> None:
    hut_refresh = defs.get_assets_def("hut_availability")
    pools = {source: job.graph.node_named("refresh_huts").definition.pool for source, job in REFRESH_JOBS.items()}
    assert pools == {
        "hrs": "provider_hrs",
        "huetten-holiday": "provider_huetten_holiday",
        "tmb": "provider_tmb",
        "ffcam": "provider_ffcam",
    }
    assert hut_refresh.op.pool == BACKFILL_POOL
    for node in (hut_refresh.op, *(job.graph.node_named("refresh_huts").definition for job in REFRESH_JOBS.values())):
        assert node.retry_policy is None, "a step retry policy would retry interrupts too (refresh_failure retries)"
    policy = REFRESH_RETRY_POLICY
    assert policy.max_retries >= 1
    assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.jitter == dg.Jitter.PLUS_MINUS
    policy = hut_refresh.backfill_policy
    assert policy is not None and policy.max_partitions_per_run == load_settings().huts_per_run


def test_dagster_cli_validates_the_workspace(db: Database) -> None:
    """From the project directory, whose dagster.yaml keeps Dagster's storage in PostgreSQL."""
    env = {**os.environ, "DAGSTER_POSTGRES_URL": db.sqlalchemy_url("psycopg2")}
    bindir = Path(sys.executable).parent
    for command in (
        [str(bindir / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        [str(bindir / "dg"), "check", "defs"],
    ):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_the_settings_are_read_once_and_reach_resources_sensors_and_factories() -> None:
    settings = Settings(
        huts_per_run=7,
        batch_size=3,
        request_interval=0.5,
        timezone="Europe/Vienna",
        hrs_base_url="http://127.0.0.1:1",
        huetten_holiday_base_url="http://127.0.0.1:2",
        tmb_base_url="http://127.0.0.1:3",
        ffcam_base_url="http://127.0.0.1:4",
    )
    built = build_definitions(settings=settings)
    resources = built.resources
    assert resources["settings"] is settings
    assert resources["database"].settings is settings
    assert resources["providers"].base_urls == {
        "hrs": "http://127.0.0.1:1",
        "huetten-holiday": "http://127.0.0.1:2",
        "tmb": "http://127.0.0.1:3",
        "ffcam": "http://127.0.0.1:4",
    }
    assert resources["providers"].request_interval == 0.5
    assert resources["hut_availability_io_manager"].batch_size == 3
    policy = built.get_assets_def("hut_availability").backfill_policy
    assert policy is not None and policy.max_partitions_per_run == 7
    assert built.get_schedule_def("hut_availability_trends_daily").execution_timezone == "Europe/Vienna"


def test_a_bad_setting_fails_loading_the_code_location_naming_the_variable(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUT_AVAILABILITY_HUTS_PER_RUN", "none")
    with pytest.raises(ConfigError, match="HUT_AVAILABILITY_HUTS_PER_RUN"):
        build_definitions()
    env = {**os.environ, "DAGSTER_POSTGRES_URL": db.sqlalchemy_url("psycopg2")}
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "HUT_AVAILABILITY_HUTS_PER_RUN" in done.stdout + done.stderr


def test_loading_the_definitions_imports_no_pandas() -> None:
    """Every run worker and code server loads the definitions: the trends' and the forecast's pandas
    (about 0.4 s) is imported when those assets run, not by every refresh run's start-up."""
    probe = "import sys, hut_availability_pipeline.definitions; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
