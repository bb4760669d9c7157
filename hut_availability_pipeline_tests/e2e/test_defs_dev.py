"""The README's run command, for real: `hut-availability dev --simulator` on a free port with a fresh
HUT_AVAILABILITY_HOME, started in the project directory as scripts/run.sh does. The demo keeps its
own home (HUT_AVAILABILITY_HOME/demo), the UI answers, GraphQL lists the assets, the priority
sensor's real tick launches runs, a run launched through GraphQL and UI-style backfills of chosen
huts succeed, a second `dev` on the same home or port is refused, the log has no colour codes and no
dagster.yaml warning, and SIGTERM stops everything the command started (no process is left).

The fast tests run the real command too: a taken port, a home in use and a DATABASE_URL given to
the demo are refused with exit status 2 before anything starts."""

from __future__ import annotations

import fcntl
import os
import re
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

from hut_availability_pipeline.cli import build_parser
from hut_availability_pipeline.supervisor.dev_arguments import web_port

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "hut_availability_pipeline"
REFRESHED = ("hut_bookings", "hut_availability", "hut_availability_history")
HUT_AVAILABILITY = str(Path(sys.executable).with_name("hut-availability"))


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_HOME", "DAGSTER_POSTGRES_URL", "DATABASE_URL"}}
    env.update({"HUT_AVAILABILITY_HOME": str(home), "HRS_BASE_URL": "http://127.0.0.1:9"})
    return env


def _run_dev(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`hut-availability dev ARGS` as scripts/run.sh runs it (in the project directory), to its end."""
    return subprocess.run(
        [HUT_AVAILABILITY, "dev", *args], cwd=ROOT, env={**_clean_env(home), **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


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
    port, web_port = _free_port(), _free_port()
    env = _clean_env(tmp_path / "home")
    log = (tmp_path / "dev.log").open("w")
    command = [HUT_AVAILABILITY, "dev", "--simulator", "--port", str(port), "--web-port", str(web_port)]
    # in the project directory, beside its dagster.yaml, as scripts/run.sh runs it
    dev = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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

    # the web front end beside it, on the demo's data, at the address dev prints
    printed = re.search(r"web front end and API on (http://127\.0\.0\.1:\d+/)", (home.parent / "dev.log").read_text())
    assert printed, "dev did not say where the web front end is"
    web = httpx.Client(base_url=printed.group(1), timeout=30)
    front = wait_for(
        "the web front end", lambda: web.get("/") if web.get("/").status_code == 200 else None, 60, tree, dev
    )
    assert "Hut availability" in front.text and "unsafe-inline" not in front.headers["content-security-policy"]

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
    assert 1 <= len(sensor_runs) <= 4  # hut-reservation.org's huts in runs of 300, the TMB refuges in one

    # the demo keeps its own home: nothing of it is in the real one
    assert (home / "demo" / "pg" / "postmaster.pid").exists() and (home / "demo" / "dagster" / "dagster.yaml").exists()
    assert not (home / "pg").exists() and not (home / "dagster").exists()
    # its simulator's address is kept for the next start (same port) and for `simulator free`
    simulator_url = re.search(r"simulator on (http://127\.0\.0\.1:\d+);", (home.parent / "dev.log").read_text())
    assert simulator_url and (home / "demo" / "simulator.url").read_text().strip() == simulator_url.group(1)
    assert "--demo" in (home.parent / "dev.log").read_text()  # how a second terminal reaches the demo
    # a second demo on the same home is refused, and so is any dev on the port in use
    second = _run_dev(home, "--simulator", "--port", str(_free_port()))
    assert second.returncode == 2, second
    assert f"another hut-availability dev is running with home {home / 'demo'} (pid {dev.pid}" in second.stderr
    taken = _run_dev(home / "other", "--port", str(ui.client.base_url.port))
    assert taken.returncode == 2 and f"port {ui.client.base_url.port} on 127.0.0.1 is in use" in taken.stderr

    partition_keys = ui.query(
        '{ assetNodeOrError(assetKey: {path: ["hut_availability"]}) { ... on AssetNode { partitionKeys } } }'
    )["assetNodeOrError"]["partitionKeys"]
    # hut-reservation.org's 565 (the catalog's two test huts are inactive) and the 41 TMB refuges
    assert len(partition_keys) == 565 + 41

    launched = ui.query(
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        params={
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": "__repository__",
                "jobName": "hut_refresh_hrs_job",
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

    def backfill(chosen: list[str]) -> list[dict[str, Any]]:
        launched = ui.query(
            """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
                 __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
            params={"partitionNames": chosen, "assetSelection": [{"path": [key]} for key in REFRESHED]},
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched

        def done() -> str | None:
            data = ui.query(
                "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill {"
                " status } } }",
                id=launched["backfillId"],
            )
            status = str(data["partitionBackfillOrError"]["status"])
            return status if status.startswith(("COMPLETED", "FAILED", "CANCELED")) else None

        assert wait_for(f"the backfill of {chosen}", done, 240, tree, dev) in {"COMPLETED", "COMPLETED_SUCCESS"}
        return ui.runs([{"key": "dagster/backfill", "value": launched["backfillId"]}])

    # the backfill policy puts a contiguous range of huts (in partition order) into one run ...
    runs = backfill(partition_keys[100:103])
    assert len(runs) == 1 and runs[0]["status"] == "SUCCESS", runs
    # ... and each separate range into a run of its own (the README says so)
    runs = backfill([partition_keys[200], partition_keys[300]])
    assert len(runs) == 2 and {r["status"] for r in runs} == {"SUCCESS"}, runs

    postmaster = int((home / "demo" / "pg" / "postmaster.pid").read_text().split()[0])
    tree.snapshot()
    os.kill(dev.pid, signal.SIGTERM)
    assert dev.wait(timeout=90) == 0
    deadline = time.monotonic() + 15
    while (tree.alive() or _stat(postmaster)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not tree.alive(), f"left running: {tree.alive()}"
    assert _stat(postmaster) is None, "the embedded PostgreSQL started by dev is still running"
    log = (home.parent / "dev.log").read_text()
    assert "Serving dagster-webserver" in log
    assert "\x1b[" not in log, "colour codes in a log that is not a terminal"
    assert "will not be used" not in log, "dagster dev warned about a dagster.yaml it does not use"


@pytest.mark.parametrize("option", ["--port", "--web-port"])
def test_dev_refuses_a_port_in_use_before_anything_starts(tmp_path: Path, option: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        other = "--web-port" if option == "--port" else "--port"
        done = _run_dev(tmp_path / "home", option, str(port), other, str(_free_port()))
    assert done.returncode == 2, done
    assert done.stderr.strip() == (
        f"hut-availability dev: error: port {port} on 127.0.0.1 is in use (Address already in use); stop what"
        f" uses it or choose another with {option}"
    )
    assert "Dagster UI" not in done.stdout
    assert not (tmp_path / "home" / "pg").exists(), "the embedded server was started anyway"


def test_dev_refuses_a_home_in_use_before_anything_starts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with (home / "dev.lock").open("w") as lock:  # what a running `dev` holds
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242\n")
        lock.flush()
        done = _run_dev(home, "--port", str(_free_port()))
    assert done.returncode == 2, done
    assert f"another hut-availability dev is running with home {home} (pid 4242" in done.stderr
    assert "Dagster UI" not in done.stdout and not (home / "pg").exists()
    # the demo has a home of its own, so the real one's lock does not stop it (nor would it the port)
    assert not (home / "demo").exists()


@pytest.mark.parametrize("variable", ["DATABASE_URL", "DAGSTER_POSTGRES_URL", "DAGSTER_HOME"])
def test_the_demo_refuses_settings_that_name_the_real_data(tmp_path: Path, variable: str) -> None:
    value = {
        "DATABASE_URL": "postgresql://app:s3cret@127.0.0.1:9/huts",
        "DAGSTER_POSTGRES_URL": "postgresql+psycopg2://app:s3cret@127.0.0.1:9/dagster",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }[variable]
    done = _run_dev(tmp_path / "home", "--simulator", "--port", str(_free_port()), **{variable: value})
    assert done.returncode == 2, done
    assert (
        f"--simulator keeps the demo in its own home ({tmp_path / 'home' / 'demo'}), apart from the real data;"
        f" unset {variable} to run it"
    ) in done.stderr
    assert "s3cret" not in done.stderr and not (tmp_path / "home" / "demo" / "pg").exists()


def test_demo_settings_have_their_own_home_and_keep_a_chosen_request_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hut_availability_pipeline.config import load_settings
    from hut_availability_pipeline.supervisor.dev import demo_settings
    from hut_availability_pipeline.supervisor.instance import dagster_home

    for name in ("DATABASE_URL", "DAGSTER_POSTGRES_URL", "DAGSTER_HOME", "HUT_AVAILABILITY_REQUEST_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    demo = demo_settings(load_settings())
    assert demo.home == tmp_path / "home" / "demo" and demo.request_interval == 0.0
    assert dagster_home(demo) == tmp_path / "home" / "demo" / "dagster"
    monkeypatch.setenv("HUT_AVAILABILITY_REQUEST_INTERVAL", "0.5")
    assert demo_settings(load_settings()).request_interval == 0.5


def test_the_demo_and_a_real_dev_default_to_different_web_ports() -> None:
    parser = build_parser("dev")
    choices = ([], ["--simulator"], ["--simulator", "--web-port", "0"], ["--web-port", "8123"])
    ports = [web_port(parser.parse_args(["dev", *argv])) for argv in choices]
    assert ports == [8000, 8001, 0, 8123]  # a real `dev` (scripts/run.sh) and the demo can run side by side
