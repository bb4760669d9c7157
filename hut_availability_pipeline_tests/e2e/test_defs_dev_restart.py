"""A stop of `hut-availability dev --simulator` in the middle of a refresh run, for real: SIGTERM
(Ctrl-C, `./scripts/run.sh` stopped) and SIGKILL of every Dagster process (a crash; the embedded
PostgreSQL survives it, as a server of its own would). After a restart on the same home the
interrupted runs are marked failed, none of them was retried as if the site had failed, and the
priority sensor refreshes their huts again. Prints how long both took after the restart."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hut_availability_pipeline.config import DEMO_HOME
from hut_availability_pipeline.storage.database import DATA_DATABASE
from hut_availability_pipeline.storage.embedded import stop_embedded_server

from ..e2e.test_defs_dev import Dagster, ProcessTree, _free_port, wait_for

RUNS_QUERY = """query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results {
  runId status startTime runConfigYaml } } } }"""


class Dev:
    """One `hut-availability dev --simulator` process on a home shared by its restarts."""

    def __init__(self, home: Path, log: Path, request_interval: str) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_HOME", "DAGSTER_POSTGRES_URL", "DATABASE_URL"}}
        env.update({"HUT_AVAILABILITY_HOME": str(home), "HUT_AVAILABILITY_REQUEST_INTERVAL": request_interval})
        executable = str(Path(sys.executable).with_name("hut-availability"))
        command = [executable, "dev", "--simulator", "--port", str(self.port), "--web-port", "0"]
        self.log = log.open("a")
        self.process = subprocess.Popen(
            command, cwd=home.parent, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.tree = ProcessTree(self.process.pid)
        self.ui = Dagster(self.port)

    def wait(self, what: str, condition: Any, timeout: float) -> Any:
        return wait_for(what, condition, timeout, self.tree, self.process)

    def runs(self, status: str | None = None) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {"pipelineName": "hut_refresh_hrs_job"}
        if status:
            filters["statuses"] = [status]
        return self.ui.query(RUNS_QUERY, f=filters)["runsOrError"]["results"]  # type: ignore[no-any-return]

    def stop(self, how: signal.Signals) -> None:
        self.tree.snapshot()
        if how == signal.SIGTERM:
            os.kill(self.process.pid, signal.SIGTERM)
            assert self.process.wait(timeout=90) == 0
        else:  # a crash: every Dagster process at once; the embedded server lives on, as a server of its own would
            for pid in [self.process.pid, *self.dagster_processes()]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while self.dagster_processes() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not self.dagster_processes(), f"left running after {how.name}: {self.dagster_processes()}"
        if how == signal.SIGTERM:
            assert not self.tree.alive(), f"left running after SIGTERM: {self.tree.alive()}"
        self.log.close()

    def dagster_processes(self) -> list[int]:
        """The live processes of this `dev` but the embedded server's (seen as children of `dev`
        while it started the server)."""
        return [pid for pid in self.tree.alive() if _command_name(pid) != "postgres"]

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in self.tree.alive():
            os.kill(pid, signal.SIGKILL)
        self.log.close()


def _command_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def data(home: Path) -> psycopg.Connection[Any]:
    """A connection to the data database of the demo's embedded server under `home` (`dev --simulator`
    keeps it in its own home, `home`/demo; it must run)."""
    lines = (home / DEMO_HOME / "pg" / "postmaster.pid").read_text().splitlines()
    return psycopg.connect(host=lines[4], port=int(lines[3]), user="postgres", dbname=DATA_DATABASE, autocommit=True)


def stored_since(home: Path, slugs: list[str], since: dt.datetime | None = None) -> int:
    """How many of `slugs` were fetched successfully (after `since`, if given)."""
    with data(home) as conn:
        row = conn.execute(
            "SELECT count(*) FROM hut_fetch_status s JOIN huts h ON h.id = s.hut_id"
            " WHERE h.slug = ANY(%s) AND s.last_success IS NOT NULL"
            " AND (%s::timestamptz IS NULL OR s.last_success > %s)",
            (slugs, since, since),
        ).fetchone()
    return int(row[0]) if row else 0


def run_huts(run: dict[str, Any]) -> list[str]:
    import yaml

    config = yaml.safe_load(run["runConfigYaml"])
    return list(config["ops"]["refresh_huts"]["config"]["huts"])


@pytest.mark.slow
@pytest.mark.timeout(600)  # two start-ups of dev, a first load and a refresh: ~3 minutes, more on a busy machine
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_runs_interrupted_by_a_stop_are_failed_after_a_restart_and_their_huts_refreshed(
    tmp_path: Path, how: signal.Signals
) -> None:
    home = tmp_path / "home"
    log = tmp_path / "dev.log"
    first = Dev(home, log, request_interval="0.2")  # ~60 s for a run of 300 huts: time to stop it
    second: Dev | None = None
    try:
        first.wait("the UI", lambda: first.ui.client.get("/server_info").status_code == 200, 180)
        running = first.wait("a refresh run of the sensor in progress", lambda: first.runs("STARTED"), 180)[0]
        huts = run_huts(running)
        first.wait("the run's first batches stored", lambda: stored_since(home, huts) >= 40, 120)
        interrupted = [r["runId"] for r in first.runs() if r["status"] in {"STARTED", "STARTING", "QUEUED"}]
        first.stop(how)

        restarted = time.monotonic()
        restarted_at = dt.datetime.now(dt.UTC)
        second = Dev(home, log, request_interval="0")
        second.wait("the UI after the restart", lambda: second.ui.client.get("/server_info").status_code == 200, 180)

        def finished() -> bool:
            statuses = {r["runId"]: r["status"] for r in second.runs()}
            return all(statuses.get(run_id) in {"FAILURE", "CANCELED"} for run_id in interrupted)

        second.wait("the interrupted runs marked failed", finished, 300)
        failed_after = time.monotonic() - restarted
        second.wait("the interrupted run's huts refreshed", lambda: stored_since(home, huts) == len(huts), 420)
        refreshed_after = time.monotonic() - restarted
        assert stored_since(home, huts, restarted_at) >= 1, "the huts not stored before the stop were fetched again"
        print(
            f"\n{how.name}: {len(interrupted)} interrupted run(s) marked failed {failed_after:.0f} s after the"
            f" restart; all {len(huts)} huts of the run refreshed after {refreshed_after:.0f} s"
        )
        for run_id in interrupted:
            retried = second.ui.query(
                """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events { __typename } } } }""",
                id=run_id,
            )["logsForRun"]["events"]
            assert "ExecutionStepUpForRetryEvent" not in {e["__typename"] for e in retried}, "an interrupt was retried"
        second.stop(signal.SIGTERM)
        second = None
    finally:
        if first.process.poll() is None:
            first.kill()
        if second is not None:
            second.kill()
        stop_embedded_server(home / DEMO_HOME)
