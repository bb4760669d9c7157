"""The project's Dagster instance: dagster.yaml gives PostgreSQL storage (DAGSTER_POSTGRES_URL, or a
database `dagster` of its own on the data's server), a run queue with limits, one provider slot and
tick retention; the nightly maintenance job deletes old runs with their event logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.defs.housekeeping.maintenance import dagster_maintenance_job
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.supervisor import instance as project


@pytest.fixture
def dagster_home(tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME prepared as `hut-availability dev` does, storage in the test database."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path))
    monkeypatch.setenv(project.DAGSTER_POSTGRES_URL_ENV, db.sqlalchemy_url("psycopg2"))
    env = project.prepare_dagster_home(load_settings())
    assert env["DAGSTER_HOME"] == str(tmp_path / "dagster")
    assert (tmp_path / "dagster" / "dagster.yaml").read_text() == project.DAGSTER_YAML.read_text()
    return tmp_path / "dagster"


@pytest.fixture
def instance(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    # not `with instance:`, which would make it the process's current instance for defs state
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    yield instance
    instance.dispose()


def test_storage_queue_pools_and_retention_come_from_dagster_yaml(instance: dg.DagsterInstance, db: Database) -> None:
    # dagster-postgres's own storages, configured as its docs say: no class of ours in dagster.yaml
    assert type(instance.run_storage) is PostgresRunStorage
    assert type(instance.event_log_storage) is PostgresEventLogStorage
    assert type(instance.schedule_storage) is PostgresScheduleStorage
    assert "module: hut_availability_pipeline" not in project.DAGSTER_YAML.read_text()
    assert instance.run_storage.postgres_url == db.sqlalchemy_url("psycopg2")
    with db.connect() as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables and "hut_availability" in tables
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    settings = instance.get_concurrency_config()
    assert settings.run_queue_config is not None and settings.run_queue_config.max_concurrent_runs == 10
    assert settings.run_queue_config.tag_concurrency_limits[0]["key"] == "hut_availability/provider"
    assert settings.pool_config.default_pool_limit == 1
    retention = instance.get_tick_retention_settings(InstigatorType.SENSOR)
    assert max(retention.values()) == 30


def test_the_dagster_processes_get_the_event_batch_size_of_the_settings(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DAGSTER_EVENT_BATCH_SIZE is in the environment `dev` and `deploy` start Dagster with (their
    run workers inherit it): the default, or a deployment's own value."""
    from hut_availability_pipeline.supervisor import deploy

    url = db.sqlalchemy_url("psycopg2")
    name = project.EVENT_BATCH_SIZE_ENV
    monkeypatch.delenv(name, raising=False)
    assert project.prepare_dagster_home(load_settings(home=tmp_path, dagster_postgres_url=url))[name] == "1000"
    monkeypatch.setenv(name, "50")
    assert deploy.dagster_environment(load_settings(home=tmp_path, dagster_postgres_url=url))[name] == "50"


def test_the_default_storage_is_a_database_of_its_own_on_the_data_server(
    embedded_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(project.DAGSTER_POSTGRES_URL_ENV, raising=False)
    monkeypatch.setenv("DATABASE_URL", embedded_server)
    monkeypatch.setattr(project, "_default_storage_url", project._default_storage_url.__wrapped__)
    url = project.dagster_storage_url(load_settings())
    assert url.startswith("postgresql+psycopg2://") and "/dagster?" in url
    with psycopg.connect(embedded_server) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = 'dagster'").fetchone() == (1,)


def test_maintenance_deletes_old_runs_with_their_events(instance: dg.DagsterInstance, db: Database) -> None:
    @dg.op
    def noop() -> None: ...

    @dg.job
    def tiny() -> None:
        noop()

    old = [tiny.execute_in_process(instance=instance).run_id for _ in range(2)]
    recent = tiny.execute_in_process(instance=instance).run_id
    with db.connect() as conn:
        conn.execute(
            "UPDATE runs SET create_timestamp = %s WHERE run_id = ANY(%s)",
            (dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=40), old),
        )
        conn.commit()
    result = dagster_maintenance_job.execute_in_process(instance=instance)
    assert result.success and result.output_for_node("dagster_storage_purge") == 2
    remaining = {r.run_id for r in instance.get_runs()}
    assert recent in remaining and not set(old) & remaining
    assert not instance.all_logs(old[0])


def test_dagster_definitions_validate_runs_with_nothing_exported_on_the_dotenv_it_is_given(
    tmp_path: Path, db: Database
) -> None:
    """`dagster definitions validate -w workspace.yaml` from a directory whose ./.env `write_dotenv`
    wrote (as bootstrap and `dev` do in the project root), with no DAGSTER_* or project variable in
    the environment: Dagster loads ./.env itself and exits 0."""
    import os
    import shutil
    import subprocess
    import sys

    from ..conftest import libpq_url

    root = tmp_path / "clone"
    root.mkdir()
    shutil.copyfile(project.WORKSPACE_YAML, root / "workspace.yaml")
    settings = load_settings(home=tmp_path / "home", database_url=libpq_url(db))
    written = project.write_dotenv(settings, root / ".env")
    assert written == {
        "DAGSTER_HOME": str(tmp_path / "home" / "dagster"),
        project.DAGSTER_POSTGRES_URL_ENV: project.dagster_storage_url(settings),
        project.EVENT_BATCH_SIZE_ENV: "1000",
    }
    (root / ".env").write_text((root / ".env").read_text() + "MY_OWN=kept\n")
    project.write_dotenv(settings, root / ".env")  # again: replaces its lines, keeps the user's
    lines = (root / ".env").read_text().splitlines()
    assert [line.split("=")[0] for line in lines if not line.startswith("#")] == [*written, "MY_OWN"]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAGSTER_", "HUT_AVAILABILITY_", "HRS_", "HUETTEN_")) and k != "DATABASE_URL"
    }
    dagster = str(Path(sys.executable).with_name("dagster"))
    done = subprocess.run(
        [dagster, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert f"Loaded environment variables from .env file: {','.join(written)}" in output
    assert "All code locations passed validation." in output
