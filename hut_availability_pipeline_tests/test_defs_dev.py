"""The README's run command, for real: `hut-availability dev --simulator` on a free port with a fresh
HUT_AVAILABILITY_HOME. The UI answers, GraphQL lists the assets, the priority sensor's real tick
launches runs, a run launched through GraphQL and a UI-style backfill of three chosen huts succeed,
and SIGTERM stops everything the command started (no process is left)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCATION = "hut_availability_pipeline"
REFRESHED = ("hut_bookings", "hut_availability", "hut_availability_history")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, None when it is gone (or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return None if fields[0] == "Z" else (int(fields[1]), int(fields[19]))  # type: ignore[return-value]


class ProcessTree:
    """Every descendant of a process seen while it ran (pid and start time, so pids reused later by
    unrelated processes are not mistaken for leftovers)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, int] = {}

    def snapshot(self) -> None:
        parents: dict[int, tuple[int, int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
                parents[int(entry.name)] = stat
        family = {self.root} | set(self.seen)
        changed = True
        while changed:
            changed = False
            for pid, (ppid, _) in parents.items():
                if ppid in family and pid not in family:
                    family.add(pid)
                    changed = True
        for pid in family:
            if pid in parents and pid not in self.seen:
                self.seen[pid] = parents[pid][1]

    def alive(self) -> list[int]:
        return [pid for pid, start in self.seen.items() if (stat := _stat(pid)) is not None and stat[1] == start]


class Dagster:
    """A GraphQL client of the running UI."""

    def __init__(self, port: int) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": text, "variables": variables})
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    def runs(self, tags: list[dict[str, str]]) -> list[dict[str, Any]]:
        data = self.query(
            "query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results { runId status } } } }",
            f={"tags": tags},
        )
        return data["runsOrError"]["results"]  # type: ignore[no-any-return]

    def run_status(self, run_id: str) -> str:
        data = self.query("query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", id=run_id)
        return str(data["runOrError"]["status"])


def wait_for(what: str, condition: Callable[[], Any], timeout: float, tree: ProcessTree, dev: subprocess.Popen) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree.snapshot()
        assert dev.poll() is None, f"hut-availability dev exited with {dev.returncode} while waiting for {what}"
        try:
            value = condition()
        except (httpx.HTTPError, KeyError, TypeError):
            value = None
        if value:
            return value
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def dev_command(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, ProcessTree, Dagster, Path]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_HOME", "DAGSTER_POSTGRES_URL", "DATABASE_URL"}}
    env.update({"HUT_AVAILABILITY_HOME": str(tmp_path / "home"), "HRS_BASE_URL": "http://127.0.0.1:9"})
    log = (tmp_path / "dev.log").open("w")
    command = [str(Path(sys.executable).with_name("hut-availability")), "dev", "--simulator", "--port", str(port)]
    dev = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    tree = ProcessTree(dev.pid)
    try:
        yield dev, tree, Dagster(port), tmp_path / "home"
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()
        for pid in tree.alive():
            os.kill(pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_dev_serves_the_ui_runs_the_pipeline_and_stops_cleanly(
    dev_command: tuple[subprocess.Popen, ProcessTree, Dagster, Path],
) -> None:
    dev, tree, ui, home = dev_command
    wait_for("the UI", lambda: ui.client.get("/server_info").status_code == 200, 180, tree, dev)

    def assets() -> set[str]:
        data = ui.query("{ assetNodes { assetKey { path } } }")
        return {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}

    names = wait_for("the code location's assets", assets, 60, tree, dev)
    assert {"hut_catalog", *REFRESHED} <= names

    # the priority sensor's own tick requests the first load of the catalog (the simulator's huts)
    sensor_runs = wait_for(
        "runs of the priority sensor",
        lambda: ui.runs([{"key": "dagster/sensor_name", "value": "hut_priority_sensor"}]),
        120,
        tree,
        dev,
    )
    assert 1 <= len(sensor_runs) <= 3

    partition_keys = ui.query(
        '{ assetNodeOrError(assetKey: {path: ["hut_availability"]}) { ... on AssetNode { partitionKeys } } }'
    )["assetNodeOrError"]["partitionKeys"]
    assert len(partition_keys) == 565  # the catalog's two test huts are inactive

    launched = ui.query(
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        params={
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": "__repository__",
                "jobName": "hut_refresh_job",
            },
            "runConfigData": {"ops": {"refresh_huts": {"config": {"huts": partition_keys[:2]}}}},
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = wait_for(
        "the launched run",
        lambda: (s := ui.run_status(run_id)) in {"SUCCESS", "FAILURE", "CANCELED"} and s,
        240,
        tree,
        dev,
    )
    assert status == "SUCCESS"

    chosen = partition_keys[100:103]
    backfill = ui.query(
        """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
             __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        params={"partitionNames": chosen, "assetSelection": [{"path": [key]} for key in REFRESHED]},
    )["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill

    def backfill_done() -> str | None:
        data = ui.query(
            "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }",
            id=backfill["backfillId"],
        )
        status = str(data["partitionBackfillOrError"]["status"])
        return status if status.startswith(("COMPLETED", "FAILED", "CANCELED")) else None

    assert wait_for("the three-hut backfill", backfill_done, 240, tree, dev) in {"COMPLETED", "COMPLETED_SUCCESS"}
    backfill_runs = ui.runs([{"key": "dagster/backfill", "value": backfill["backfillId"]}])
    assert len(backfill_runs) == 1 and backfill_runs[0]["status"] == "SUCCESS", backfill_runs

    postmaster = int((home / "pg" / "postmaster.pid").read_text().split()[0])
    tree.snapshot()
    os.kill(dev.pid, signal.SIGTERM)
    assert dev.wait(timeout=90) == 0
    deadline = time.monotonic() + 15
    while (tree.alive() or _stat(postmaster)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not tree.alive(), f"left running: {tree.alive()}"
    assert _stat(postmaster) is None, "the embedded PostgreSQL started by dev is still running"
