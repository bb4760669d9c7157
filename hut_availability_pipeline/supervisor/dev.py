"""`hut-availability dev`: the README's "run the pipeline" command.

Starts the embedded PostgreSQL (unless DATABASE_URL is set), makes sure the data database is
migrated, prepares DAGSTER_HOME (`supervisor/instance.py`), loads the packaged hut catalog into an empty huts
table by materializing `hut_catalog` (which registers the hut partitions; otherwise they are
synced), and runs `dagster dev` (webserver + daemon: schedules and sensors running) on
127.0.0.1. With `--simulator` it also serves the local hut-reservation.org simulator and points
HRS_BASE_URL at it: the offline demo, which keeps a home of its own (`$HUT_AVAILABILITY_HOME/demo`:
its own embedded database and Dagster storage), so nothing simulated ever lands in the real data.

Before anything starts it refuses (exit status 2, one line) when the home is in use by another
`dev` (a lock file held with flock for as long as this command and `dagster dev` live), when the
UI's port on 127.0.0.1 is taken, and when `--simulator` is combined with DATABASE_URL,
DAGSTER_POSTGRES_URL or DAGSTER_HOME (they name the real data).

`dagster dev` runs in DAGSTER_HOME (it warns about any other folder holding a dagster.yaml, such as
the project's template). When stdout is not a terminal, its output is relayed without colour codes.

Ctrl-C or SIGTERM stops everything it started: Dagster's webserver, daemon, code server and run
workers (the whole process group of `dagster dev`), the simulator, and the embedded server if this
command started it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import DEMO_HOME, SIMULATOR_URL_FILE, Settings, open_configured_database
from ..defs.resources import REQUEST_INTERVAL_ENV
from ..providers.registry import PROVIDERS
from ..storage.embedded import embedded_server_running, stop_embedded_server
from ..storage.huts import hut_count
from .dev_arguments import web_port
from .instance import WORKSPACE_YAML, prepare_dagster_home, write_dotenv
from .processes import (
    GRACEFUL_SECONDS,
    StartError,
    Stop,
    check_port_free,
    executable,
    signals_ignored,
    signals_raise_stop,
    started,
    with_default_signals,
)

SIMULATOR_REQUEST_INTERVAL = 0.0
LOCK_FILE = "dev.lock"


def demo_settings(settings: Settings) -> Settings:
    """The settings of the offline demo: its own home under the real one (own embedded database and
    Dagster storage), requests unpaced unless HUT_AVAILABILITY_REQUEST_INTERVAL says otherwise.
    StartError when a setting names a database or Dagster home of its own: the demo would write
    simulated history there."""
    conflicts = [
        Settings.variable(name)
        for name in ("database_url", "dagster_postgres_url", "dagster_home")
        if getattr(settings, name) is not None
    ]
    if conflicts:
        raise StartError(
            f"--simulator keeps the demo in its own home ({settings.resolved_home / DEMO_HOME}), apart from the"
            f" real data; unset {', '.join(conflicts)} to run it"
        )
    update: dict[str, object] = {"home": settings.resolved_home / DEMO_HOME}
    if "request_interval" not in settings.model_fields_set:
        update["request_interval"] = SIMULATOR_REQUEST_INTERVAL
    return settings.model_copy(update=update)


def run_dev(args: argparse.Namespace, settings: Settings) -> int:
    """Run Dagster on the project's database until Ctrl-C or SIGTERM; return the exit status."""
    stack = contextlib.ExitStack()
    with signals_raise_stop():
        try:
            if args.simulator:
                settings = demo_settings(settings)
            home = settings.resolved_home
            lock = _lock_home(home)
            stack.callback(os.close, lock)
            check_port_free(args.port)
            web = web_port(args)
            if web:
                check_port_free(web, "--web-port")
            embedded = settings.database_url is None
            was_running = embedded and embedded_server_running(home)
            db = open_configured_database(settings)
            if embedded and not was_running:
                stack.callback(stop_embedded_server, home)
            with db.connect() as conn:
                empty = hut_count(conn) == 0
            if args.simulator:
                simulator = stack.enter_context(_demo_simulator(home))
                # it serves every booking site on one address
                sites = {p.base_url_setting: simulator.base_url for p in PROVIDERS.values()}
                settings = settings.model_copy(update=sites)
                print(f"hut-availability dev: simulator on {simulator.base_url}; home {home}", flush=True)
                print(
                    "hut-availability dev: in a second terminal, reach the demo's data with --demo"
                    " (.venv/bin/hut-availability --demo huts list), or all commands with"
                    f" `export HUT_AVAILABILITY_HOME={shlex.quote(str(home))}`; Dagster's own commands with"
                    ' `eval "$(.venv/bin/hut-availability --demo deploy env)"`; free a bed:'
                    " .venv/bin/hut-availability simulator free --hut SLUG --date YYYY-MM-DD",
                    flush=True,
                )
            env = {
                **os.environ,
                Settings.variable("home"): str(home),
                **{
                    Settings.variable(p.base_url_setting): getattr(settings, p.base_url_setting)
                    for p in PROVIDERS.values()
                },
                REQUEST_INTERVAL_ENV: str(settings.request_interval),
            }
            env.update(prepare_dagster_home(settings))
            if _on_the_default_home(settings) and not args.simulator:
                write_dotenv(settings)  # Dagster's own commands from the project root: the same data
            _prepare_huts(env, load_catalog=empty)
            print(f"hut-availability dev: data in {db.describe()}; DAGSTER_HOME={env['DAGSTER_HOME']}", flush=True)
            if web:
                stack.enter_context(_serving(env, web))
                print(f"hut-availability dev: web front end and API on http://127.0.0.1:{web}/", flush=True)
            return _run_dagster_dev(args.port, env, keep_open=lock)
        except StartError as exc:
            print(f"hut-availability dev: error: {exc}", file=sys.stderr)
            return exc.exit_status  # StartError's: 2
        except Stop:
            return 0
        finally:
            with signals_ignored():
                stack.close()


def _demo_simulator(home: Path) -> Any:
    """The demo's simulator, on the port it had before (kept in `home`/simulator.url, so booking
    links stored by an earlier demo still lead to it) when that port is free, else on a new one."""
    from ..simulator import SimulatorConfig, SimulatorServer

    path = home / SIMULATOR_URL_FILE
    port = 0
    with contextlib.suppress(OSError, ValueError):
        port = int(path.read_text(encoding="utf-8").strip().rsplit(":", 1)[1].rstrip("/"))
    try:
        server = SimulatorServer(SimulatorConfig(seed=1), port=port)
    except OSError:
        server = SimulatorServer(SimulatorConfig(seed=1), port=0)
    path.write_text(server.base_url + "\n", encoding="utf-8")
    return server


def _on_the_default_home(settings: Settings) -> bool:
    """Whether `settings` are the embedded default (no home, database or Dagster storage of their own):
    then `dev` writes ./.env for Dagster's own commands."""
    names = ("home", "database_url", "dagster_home", "dagster_postgres_url")
    return not any(name in settings.model_fields_set for name in names)


@contextlib.contextmanager
def _serving(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`hut-availability serve` (the web front end and the read-only API) on 127.0.0.1:`port`, on the
    same data as Dagster (`env` names the home, or DATABASE_URL), for as long as the context lasts;
    stopped with SIGTERM, then SIGKILL after GRACEFUL_SECONDS."""
    command = [executable("hut-availability"), "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen([*command, "--port", str(port), "--log-level", "warning"], env=env)
    try:
        yield process
    finally:
        with signals_ignored():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=GRACEFUL_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _lock_home(home: Path) -> int:
    """Hold `home`/dev.lock (flock, released when every process holding it is gone: this one and
    `dagster dev`, which inherits it); StartError naming the holder's pid when another `dev` has it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise StartError(
            f"another hut-availability dev is running with home {home} (pid {holder}, lock {path}); stop it"
            " first, or give this one another HUT_AVAILABILITY_HOME"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _prepare_huts(env: dict[str, str], *, load_catalog: bool) -> None:
    """Before the UI opens: load the packaged catalog into an empty huts table, or sync the hut
    partitions (`prepare_huts.py`), in a child process started with `env`, the environment
    `dagster dev` gets: Dagster's instance and our settings read it at that process's start."""
    command = [sys.executable, "-m", "hut_availability_pipeline.supervisor.prepare_huts"]
    if load_catalog:
        command.append("--load-catalog")
    done = subprocess.run(command, env=env, cwd=env["DAGSTER_HOME"], check=False)
    if done.returncode != 0:
        what = "loading the packaged catalog" if load_catalog else "syncing the hut partitions"
        raise StartError(f"{what} failed (exit status {done.returncode}); its error is printed above")


def dagster_dev_command(port: int) -> list[str]:
    """`dagster dev` on 127.0.0.1 with the project's workspace, signals reset to their defaults."""
    command = [executable("dagster"), "dev", "-h", "127.0.0.1", "-p", str(port)]
    if WORKSPACE_YAML.exists():
        command += ["-w", str(WORKSPACE_YAML)]
    else:
        command += ["-m", "hut_availability_pipeline.definitions"]
    return with_default_signals(command)


def _run_dagster_dev(port: int, env: dict[str, str], *, keep_open: int) -> int:
    """Run `dagster dev` in DAGSTER_HOME (holding the home's lock too) until it ends or we are stopped."""
    with started(dagster_dev_command(port), env, env["DAGSTER_HOME"], name="dagster-dev", pass_fds=(keep_open,)) as dev:
        print(f"hut-availability dev: Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops)", flush=True)
        try:
            return dev.wait()
        except Stop:
            return 0
