"""`hut-availability deploy`: Dagster the way its Helm chart runs it, three long-lived processes on
one instance (DAGSTER_HOME's dagster.yaml, storage on PostgreSQL):

- the code server of the code location (`dagster code-server start -m hut_availability_pipeline.definitions`),
  which loads our code, evaluates sensors and schedules and starts the run workers;
- `dagster-webserver -w deploy/workspace.yaml`, the UI and GraphQL;
- `dagster-daemon run -w deploy/workspace.yaml`: the run queue, sensors, schedules, run monitoring.

The webserver and the daemon load no code: the workspace points at the code server's address
(HUT_AVAILABILITY_CODE_SERVER_HOST and _PORT), so a new code server (new code) is picked up by both
without restarting them. `deploy ROLE` runs one of them (what a container runs); `deploy` alone
runs all three on 127.0.0.1, each in a process group of its own, and stops them all on Ctrl-C or
SIGTERM, or when one of them ends. `deploy env` prints the environment for plain `dagster ...`
commands.

Before Dagster starts, every role resolves what dagster.yaml reads from the environment
(`instance.prepare_dagster_home`: DAGSTER_HOME, DAGSTER_POSTGRES_URL, the embedded server started if
needed) and starts Dagster's process with it, DAGSTER_EVENT_BATCH_SIZE and the code server's
address in its environment (this process's own is not changed); the code server also migrates the
data's database.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from ..config import Settings, open_configured_database
from ..storage.embedded import embedded_server_running, stop_embedded_server
from .instance import PROJECT_ROOT, prepare_dagster_home
from .processes import (
    StartError,
    Stop,
    check_port_free,
    executable,
    signals_ignored,
    signals_raise_stop,
    started,
    with_default_signals,
)

ROLES = ("code-server", "webserver", "daemon")
CODE_LOCATION_MODULE = "hut_availability_pipeline.definitions"
LOCATION_NAME = "hut_availability_pipeline"
DEPLOY_WORKSPACE_YAML = PROJECT_ROOT / "deploy" / "workspace.yaml"
CODE_SERVER_HOST_ENV = Settings.variable("code_server_host")
CODE_SERVER_PORT_ENV = Settings.variable("code_server_port")
DEFAULT_WEBSERVER_PORT = 3000
CODE_SERVER_START_SECONDS = 180.0


def dagster_environment(settings: Settings) -> dict[str, str]:
    """What the Dagster processes need in their environment: DAGSTER_HOME (prepared),
    DAGSTER_POSTGRES_URL, DAGSTER_EVENT_BATCH_SIZE, and the code server's address that
    deploy/workspace.yaml reads."""
    return {
        **prepare_dagster_home(settings),
        CODE_SERVER_HOST_ENV: settings.code_server_host,
        CODE_SERVER_PORT_ENV: str(settings.code_server_port),
    }


def role_command(role: str, settings: Settings, *, host: str | None = None, port: int | None = None) -> list[str]:
    """The Dagster command of `role`. The code server listens on `host` (default: the settings' code
    server host) and the settings' port; the webserver on `host`:`port` (default 127.0.0.1:3000)."""
    if role == "code-server":
        command = [executable("dagster"), "code-server", "start", "-m", CODE_LOCATION_MODULE]
        command += ["--location-name", LOCATION_NAME, "-h", host or settings.code_server_host]
        command += ["-p", str(settings.code_server_port)]
    elif role == "webserver":
        command = [executable("dagster-webserver"), "-w", str(_workspace()), "-h", host or "127.0.0.1"]
        command += ["-p", str(port or DEFAULT_WEBSERVER_PORT)]
    elif role == "daemon":
        command = [executable("dagster-daemon"), "run", "-w", str(_workspace())]
    else:
        raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return with_default_signals(command)


def _workspace() -> Path:
    if not DEPLOY_WORKSPACE_YAML.exists():
        raise StartError(f"{DEPLOY_WORKSPACE_YAML} not found (not a source checkout or an image built from one?)")
    return DEPLOY_WORKSPACE_YAML


def print_environment(settings: Settings) -> int:
    """Print `export NAME=value` lines for plain `dagster ...` commands (`eval "$(...)"`)."""
    for name, value in dagster_environment(settings).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def run_role(role: str, settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    """Run one role until it ends, or until SIGINT or SIGTERM stops it; return the exit status."""
    with signals_raise_stop():
        try:
            env = _prepared(role, settings)
            command = role_command(role, settings, host=host, port=port)
            with started(command, env, env["DAGSTER_HOME"], name=role) as process:
                return process.wait()
        except StartError as exc:
            print(f"hut-availability deploy {role}: error: {exc}", file=sys.stderr)
            return exc.exit_status  # StartError's: 2
        except Stop:
            return 0


def run_all(settings: Settings, *, port: int) -> int:
    """Run the code server, daemon and webserver on 127.0.0.1 until Ctrl-C or SIGTERM, or until one of
    them ends (then the others are stopped, and the status is 1)."""
    local = settings.model_copy(update={"code_server_host": "127.0.0.1"})
    with signals_raise_stop(), contextlib.ExitStack() as stack:
        try:
            check_port_free(port)
            check_port_free(local.code_server_port, f"{CODE_SERVER_PORT_ENV}")
            embedded = local.database_url is None
            was_running = embedded and embedded_server_running(local.home)
            env = _prepared("code-server", local)
            if embedded and not was_running:
                stack.callback(stop_embedded_server, local.home)
            processes: dict[str, subprocess.Popen[bytes]] = {}
            for role in ROLES:  # the code server first: the others load their workspace from it
                command = role_command(role, local, port=port)
                processes[role] = stack.enter_context(started(command, env, env["DAGSTER_HOME"], name=role))
                if role == "code-server":
                    _wait_for_code_server(local, processes[role])
            print(f"hut-availability deploy: Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops)", flush=True)
            while True:
                for role, process in processes.items():
                    if process.poll() is not None:
                        print(
                            f"hut-availability deploy: {role} ended with status {process.returncode};"
                            " stopping the others",
                            file=sys.stderr,
                            flush=True,
                        )
                        return 1
                time.sleep(1.0)
        except StartError as exc:
            print(f"hut-availability deploy: error: {exc}", file=sys.stderr)
            return exc.exit_status  # StartError's: 2
        except Stop:
            return 0
        finally:
            with signals_ignored():
                stack.close()


def _prepared(role: str, settings: Settings) -> dict[str, str]:
    """The environment of `role`'s process, after what it needs first: the code server migrates the
    data's database (and so starts the embedded server, when that is the one)."""
    if role == "code-server":
        open_configured_database(settings)
    return {**os.environ, **dagster_environment(settings)}


def _wait_for_code_server(settings: Settings, process: subprocess.Popen[bytes]) -> None:
    """Until the code server answers Dagster's gRPC health check (it has loaded the code location);
    StartError when it ends first or does not within CODE_SERVER_START_SECONDS."""
    check = [executable("dagster"), "api", "grpc-health-check", "-h", settings.code_server_host]
    check += ["-p", str(settings.code_server_port)]
    deadline = time.monotonic() + CODE_SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"the code server ended with status {process.returncode} before it answered")
        if subprocess.run(check, capture_output=True, check=False).returncode == 0:
            return
        time.sleep(1.0)
    raise StartError(f"the code server did not answer within {CODE_SERVER_START_SECONDS:.0f} s")
