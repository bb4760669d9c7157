"""The production topology, for real: `hut-availability deploy code-server`, `deploy daemon` and
`deploy webserver` as three separate processes (what the containers of docker-compose.yaml and the
Dockerfile run), sharing one DAGSTER_HOME on the embedded PostgreSQL found by default, fetching from
the simulator. The priority sensor launches runs and their data lands in hut_availability; the
webserver answers; the code server is restarted with new code (another HUT_AVAILABILITY_HUTS_PER_RUN)
and the webserver shows the new server while the daemon's sensor runs come from it; SIGTERM stops
every process each role started.

The fast tests check `deploy env` (what plain `dagster` commands need) and that every role's
`--help` works without starting anything."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import conninfo

from hut_availability_pipeline.storage.database import DATA_DATABASE
from hut_availability_pipeline.storage.embedded import start_embedded_server, stop_embedded_server

from ..e2e.test_defs_dev import Dagster, ProcessTree, _free_port

ROOT = Path(__file__).resolve().parents[2]
HUT_AVAILABILITY = str(Path(sys.executable).with_name("hut-availability"))
DAGSTER = str(Path(sys.executable).with_name("dagster"))
# The commands of the three roles: the ones docker-compose.yaml and the Dockerfile run
# (test_deploy_files.py checks that they name exactly these).
ROLE_COMMANDS = {
    "code-server": ["hut-availability", "deploy", "code-server"],
    "webserver": ["hut-availability", "deploy", "webserver"],
    "daemon": ["hut-availability", "deploy", "daemon"],
}
# Huts of the packaged catalog (the simulator serves its huts)
HUTS = [(603, "aarbiwak-sac"), (728, "aclas-dafora"), (491, "adamek-hutte"), (408, "adolf-nossberger-hutte")]
LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on RepositoryLocation { serverId } ... on PythonError { message } } } } } }"""
RUNS_QUERY = """query($f: RunsFilter) { runsOrError(filter: $f) { ... on Runs { results {
  runId status creationTime tags { key value } } } } }"""


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DAGSTER_HOME", "DAGSTER_POSTGRES_URL", "DAGSTER_EVENT_BATCH_SIZE", "DATABASE_URL"}
    }
    env.update({"HUT_AVAILABILITY_HOME": str(home), **extra})
    return env


class Role:
    """One `hut-availability deploy ROLE` process (or `deploy` alone: role "all") with every process
    it started (its tree)."""

    def __init__(self, role: str, env: dict[str, str], log: Path, *args: str) -> None:
        self.role = role
        self.log = log.open("a")
        command = [HUT_AVAILABILITY, *(ROLE_COMMANDS[role][1:] if role != "all" else ["deploy"]), *args]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.tree = ProcessTree(self.process.pid)

    def check(self) -> None:
        self.tree.snapshot()
        assert self.process.poll() is None, f"deploy {self.role} exited with {self.process.returncode}"

    def stop(self) -> int:
        """SIGTERM, as a container runtime stops a container; the exit status."""
        self.tree.snapshot()
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=90)
        deadline = time.monotonic() + 15
        while self.tree.alive() and time.monotonic() < deadline:
            time.sleep(0.5)
        self.log.close()
        return status

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in self.tree.alive():
            os.kill(pid, signal.SIGKILL)
        self.log.close()


def wait_for(what: str, condition: Callable[[], Any], timeout: float, roles: list[Role]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for role in roles:
            role.check()
        try:
            value = condition()
        except (httpx.HTTPError, KeyError, TypeError, psycopg.OperationalError):
            value = None
        if value:
            return value
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def code_server_answers(port: int) -> bool:
    check = [DAGSTER, "api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(port)]
    return subprocess.run(check, capture_output=True, check=False).returncode == 0


@pytest.fixture
def topology(tmp_path: Path, simulator: Any) -> Iterator[dict[str, Any]]:
    home = tmp_path / "home"
    code_port, ui_port = _free_port(), _free_port()
    env = _clean_env(
        home,
        HRS_BASE_URL=simulator.base_url,
        HUETTEN_HOLIDAY_BASE_URL=simulator.base_url,
        HUT_AVAILABILITY_REQUEST_INTERVAL="0",
        HUT_AVAILABILITY_CODE_SERVER_PORT=str(code_port),
    )
    csv = tmp_path / "huts.csv"
    csv.write_text("source,source_hut_id,slug,name\n" + "".join(f"hrs,{i},{s},{s}\n" for i, s in HUTS))
    loaded = subprocess.run([HUT_AVAILABILITY, "huts", "load", str(csv)], env=env, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded
    roles: list[Role] = []
    try:
        yield {"home": home, "env": env, "code_port": code_port, "ui_port": ui_port, "roles": roles, "logs": tmp_path}
    finally:
        for role in roles:
            role.kill()
        stop_embedded_server(home)


@pytest.mark.slow
def test_code_server_webserver_and_daemon_run_separately_and_pick_up_a_new_code_server(
    topology: dict[str, Any],
) -> None:
    home, env, roles, logs = topology["home"], topology["env"], topology["roles"], topology["logs"]
    code_port, ui_port = topology["code_port"], topology["ui_port"]

    code_server = Role("code-server", env, logs / "code-server.log")
    roles.append(code_server)
    wait_for("the code server", lambda: code_server_answers(code_port), 120, roles)
    daemon = Role("daemon", env, logs / "daemon.log")
    webserver = Role("webserver", env, logs / "webserver.log", "--port", str(ui_port))
    roles += [daemon, webserver]
    ui = Dagster(ui_port)
    info = wait_for("the webserver", lambda: ui.client.get("/server_info"), 120, roles)
    assert info.status_code == 200 and "dagster_webserver_version" in info.json()

    def loaded_server() -> str | None:
        (entry,) = ui.query(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        location = entry["locationOrLoadError"]
        return location["serverId"] if location["__typename"] == "RepositoryLocation" else None

    first_server = wait_for("the code location in the webserver", loaded_server, 60, roles)

    def sensor_runs() -> list[dict[str, Any]]:
        return ui.query(RUNS_QUERY, f={"tags": [{"key": "dagster/sensor_name", "value": "hut_priority_sensor"}]})[
            "runsOrError"
        ]["results"]

    def all_done(runs: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        return runs if runs and all(r["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for r in runs) else None

    # the daemon ticks the priority sensor in the code server; the runs it requests are queued, started by
    # the daemon and executed by a worker the code server starts
    first = wait_for("the priority sensor's runs", lambda: all_done(sensor_runs()), 240, roles)
    assert {r["status"] for r in first} == {"SUCCESS"}, first
    data = conninfo.make_conninfo(start_embedded_server(home), dbname=DATA_DATABASE)
    with psycopg.connect(data) as conn:
        stored = dict(
            conn.execute(
                "SELECT h.slug, count(*) FROM hut_availability a JOIN huts h ON h.id = a.hut_id GROUP BY h.slug"
            ).fetchall()
        )
    assert set(stored) == {slug for _, slug in HUTS} and min(stored.values()) > 30, stored
    # Dagster's storage is the database `dagster` beside the data, found by default
    with psycopg.connect(conninfo.make_conninfo(data, dbname="dagster")) as conn:
        (runs,) = conn.execute("SELECT count(*) FROM runs").fetchone()  # type: ignore[misc]
    assert runs >= len(first)

    # new code: a code server whose refresh runs take at most two huts each
    assert code_server.stop() == 0
    assert not code_server.tree.alive(), f"the code server left {code_server.tree.alive()} running"
    restarted_at = time.time()
    roles.remove(code_server)
    code_server = Role("code-server", {**env, "HUT_AVAILABILITY_HUTS_PER_RUN": "2"}, logs / "code-server.log")
    roles.append(code_server)
    wait_for("the new code server", lambda: code_server_answers(code_port), 120, roles)
    second_server = wait_for(
        "the webserver to load the new code server", lambda: (s := loaded_server()) != first_server and s, 120, roles
    )
    assert second_server
    repositories = ui.query("{ repositoriesOrError { ... on RepositoryConnection { nodes { name } } } }")
    assert repositories["repositoriesOrError"]["nodes"] == [{"name": "__repository__"}]

    with psycopg.connect(data) as conn:  # every hut due again
        conn.execute(
            "UPDATE hut_fetch_status SET last_success = last_success - interval '30 days',"
            " last_attempt = last_attempt - interval '30 days'"
        )

    def new_runs() -> list[dict[str, Any]] | None:
        runs = [r for r in sensor_runs() if r["creationTime"] > restarted_at]
        return all_done(runs) if len(runs) >= len(HUTS) // 2 else None

    second = wait_for("the sensor's runs from the new code server", new_runs, 240, roles)
    assert {r["status"] for r in second} == {"SUCCESS"}, second
    huts_per_run = [int({t["key"]: t["value"] for t in r["tags"]}["hut_availability/huts"]) for r in second]
    assert huts_per_run == [2, 2], huts_per_run  # the new code's setting, not the first server's 300

    for role in (webserver, daemon, code_server):
        assert role.stop() == 0, role.role
        assert not role.tree.alive(), f"deploy {role.role} left {role.tree.alive()} running"
    roles.clear()
    for name in ("webserver", "daemon", "code-server"):
        log = (logs / f"{name}.log").read_text()
        assert "Traceback" not in log, f"{name}: {log[-3000:]}"


def _ends_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` has ended (gone, or a zombie nobody has reaped yet) within `seconds`:
    the postmaster exits a moment after `pg_ctl stop` returns, and is not our child."""
    import psutil

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_deploy_alone_runs_all_three_and_stops_them_with_the_embedded_server(tmp_path: Path) -> None:
    home, ui_port = tmp_path / "home", _free_port()
    env = _clean_env(home, HRS_BASE_URL="http://127.0.0.1:9", HUT_AVAILABILITY_CODE_SERVER_PORT=str(_free_port()))
    log = tmp_path / "deploy.log"
    deploy = Role("all", env, log, "--port", str(ui_port))
    try:
        ui = Dagster(ui_port)
        wait_for("the webserver", lambda: ui.client.get("/server_info").status_code == 200, 180, [deploy])
        data = ui.query(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        assert [(e["name"], e["loadStatus"]) for e in data] == [("hut_availability_pipeline", "LOADED")]
        assert data[0]["locationOrLoadError"]["serverId"]  # a gRPC code server of its own, not dagster dev's
        deploy.tree.snapshot()
        started = {_command_line(pid) for pid in deploy.tree.alive()}
        for part in ("code-server start -m hut_availability_pipeline.definitions", "dagster-webserver -w", "run -w"):
            assert any(part in line for line in started), (part, started)
        postmaster = int((home / "pg" / "postmaster.pid").read_text().split()[0])
        assert deploy.stop() == 0
        assert not deploy.tree.alive(), f"left running: {deploy.tree.alive()}"
        assert _ends_within(postmaster, 15), "the embedded server deploy started is still running"
    finally:
        deploy.kill()
        stop_embedded_server(home)
    assert f"Dagster UI on http://127.0.0.1:{ui_port}" in log.read_text()


def test_deploy_env_prints_what_plain_dagster_commands_need(tmp_path: Path, db: Any) -> None:
    url = db.sqlalchemy_url("psycopg2")
    env = _clean_env(tmp_path / "home", DAGSTER_POSTGRES_URL=url, HUT_AVAILABILITY_CODE_SERVER_PORT="4123")
    done = subprocess.run([HUT_AVAILABILITY, "deploy", "env"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in done.stdout.splitlines())
    assert exported == {
        "DAGSTER_HOME": str(tmp_path / "home" / "dagster"),
        "DAGSTER_POSTGRES_URL": url,
        "DAGSTER_EVENT_BATCH_SIZE": "1000",
        "HUT_AVAILABILITY_CODE_SERVER_HOST": "127.0.0.1",
        "HUT_AVAILABILITY_CODE_SERVER_PORT": "4123",
    }
    # with them, Dagster's own command line finds the instance on PostgreSQL
    shell = f'eval "$({shlex.quote(HUT_AVAILABILITY)} deploy env)" && {shlex.quote(DAGSTER)} instance info'
    info = subprocess.run(["sh", "-c", shell], env=env, capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info
    assert "run_storage: PostgresRunStorage" in info.stdout


@pytest.mark.parametrize("role", [*ROLE_COMMANDS, "env"])
def test_every_role_has_help(role: str) -> None:
    done = subprocess.run([HUT_AVAILABILITY, "deploy", role, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith(f"usage: hut-availability deploy {role}"), done
