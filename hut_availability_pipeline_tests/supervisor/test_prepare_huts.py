"""`dev`'s catalog step: a child process started with Dagster's environment, as `dagster dev` is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.supervisor import instance as project

from ..conftest import libpq_url


def run_prepare_huts(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hut_availability_pipeline.supervisor.prepare_huts", *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_catalog_is_loaded_as_a_run_then_the_partitions_are_in_sync(tmp_path: Path, db: Database) -> None:
    home = tmp_path / "home"
    url = db.sqlalchemy_url("psycopg2")
    environment = project.prepare_dagster_home(load_settings(home=home, dagster_postgres_url=url))
    env = {**os.environ, "DATABASE_URL": libpq_url(db), "HUT_AVAILABILITY_HOME": str(home), **environment}
    before = dict(os.environ)

    loaded = run_prepare_huts(env, "--load-catalog")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == "hut-availability dev: loaded the packaged catalog: 608 huts\n"
    with db.connect() as conn:  # the huts, and the run that loaded them, in the environment's databases
        assert conn.execute("SELECT count(*) FROM huts").fetchone() == (608,)
        assert conn.execute("SELECT status FROM runs ORDER BY create_timestamp").fetchall() == [("SUCCESS",)]
        partitions = conn.execute("SELECT count(*) FROM dynamic_partitions WHERE partitions_def_name = 'huts'")
        assert partitions.fetchone() == (606,)  # the active bookable huts

    synced = run_prepare_huts(env)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout == ""  # nothing to add or remove
    assert dict(os.environ) == before  # the test's own process: untouched


def test_a_failure_exits_non_zero_with_its_error(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    failed = run_prepare_huts(env)
    assert failed.returncode != 0
    assert "127.0.0.1" in failed.stderr
