"""`hut-availability dev`: the README's "run the pipeline" command.

Starts the embedded PostgreSQL (unless DATABASE_URL is set), makes sure the data database is
migrated, prepares DAGSTER_HOME (`instance.py`), loads the packaged hut catalog into an empty huts
table by materializing `hut_catalog` (which registers the hut partitions; otherwise they are
synced), and runs `dagster dev` (webserver + daemon: schedules and sensors running) on
127.0.0.1. With `--simulator` it also serves the local hut-reservation.org simulator and points
HRS_BASE_URL at it: the offline demo.

Ctrl-C or SIGTERM stops everything it started: Dagster's webserver, daemon, code server and run
workers (the whole process group of `dagster dev`), the simulator, and the embedded server if this
command started it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from ..config import Settings
from ..storage.database import open_database
from ..storage.embedded import stop_embedded_server
from ..storage.huts import hut_count
from .instance import WORKSPACE_YAML, prepare_dagster_home
from .resources import REQUEST_INTERVAL_ENV

SIMULATOR_REQUEST_INTERVAL = "0"
GRACEFUL_SECONDS = 30.0


class _Stop(Exception):
    """SIGINT or SIGTERM arrived: shut down."""


def add_dev_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hut-availability dev`."""
    parser.add_argument("--port", type=int, default=3000, help="port of the Dagster UI on 127.0.0.1 (default: 3000)")
    parser.add_argument(
        "--simulator",
        action="store_true",
        help="also serve the local hut-reservation.org simulator and fetch from it (offline demo)",
    )


def run_dev(args: argparse.Namespace, settings: Settings) -> int:
    """Run Dagster on the project's database until Ctrl-C or SIGTERM; return the exit status."""
    home = settings.home.expanduser().resolve()
    embedded = settings.database_url is None
    was_running = embedded and (home / "pg" / "postmaster.pid").exists()
    stack = contextlib.ExitStack()
    with _signals_raise_stop():
        try:
            db = open_database(settings)
            if embedded and not was_running:
                stack.callback(stop_embedded_server, home)
            with db.connect() as conn:
                empty = hut_count(conn) == 0
            env = {**os.environ, "HUT_AVAILABILITY_HOME": str(home)}
            if args.simulator:
                from ..simulator import SimulatorConfig, SimulatorServer

                simulator = stack.enter_context(SimulatorServer(SimulatorConfig(seed=1), port=0))
                env["HRS_BASE_URL"] = simulator.base_url
                env.setdefault(REQUEST_INTERVAL_ENV, SIMULATOR_REQUEST_INTERVAL)
                print(f"hut-availability dev: simulator on {simulator.base_url}", flush=True)
            env.update(prepare_dagster_home(settings))
            _prepare_huts(env, load_catalog=empty)
            print(f"hut-availability dev: data in {db.describe()}; DAGSTER_HOME={env['DAGSTER_HOME']}", flush=True)
            return _run_dagster_dev(args.port, env)
        except _Stop:
            return 0
        finally:
            with _signals_ignored():
                stack.close()


def _prepare_huts(env: dict[str, str], *, load_catalog: bool) -> None:
    """Before the UI opens: an empty huts table gets the packaged catalog by materializing
    `hut_catalog` (load_huts(conn, catalog_records()), recorded as a run, partitions registered);
    otherwise the hut partitions are synced with the huts table."""
    import dagster as dg

    from .assets import hut_catalog
    from .jobs import TRIGGER_TAG
    from .partitions import sync_hut_partitions
    from .resources import DatabaseResource

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with dg.DagsterInstance.get() as instance:
            if load_catalog:
                result = dg.materialize(
                    [hut_catalog], instance=instance, resources={"database": DatabaseResource()},
                    tags={TRIGGER_TAG: "dev"},
                )  # fmt: skip
                (event,) = result.asset_materializations_for_node("hut_catalog")
                added = event.metadata["catalog_added"].value
                print(f"hut-availability dev: loaded the packaged catalog: {added} huts", flush=True)
            else:
                with DatabaseResource().database().connect() as conn:
                    changes = sync_hut_partitions(conn, instance)
                if changes.add or changes.delete:
                    counts = f"+{len(changes.add)} -{len(changes.delete)}"
                    print(f"hut-availability dev: hut partitions {counts}", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def dagster_dev_command(port: int) -> list[str]:
    """`dagster dev` on 127.0.0.1 with the project's workspace, signals reset to their defaults."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster) if dagster.exists() else "dagster", "dev", "-h", "127.0.0.1", "-p", str(port)]
    if WORKSPACE_YAML.exists():
        command += ["-w", str(WORKSPACE_YAML)]
    else:
        command += ["-m", "hut_availability_pipeline.definitions"]
    # A process started in the background inherits SIGINT ignored; dagster dev then cannot be stopped.
    return ["env", "--default-signal=INT,TERM", *command]


def _run_dagster_dev(port: int, env: dict[str, str]) -> int:
    process = subprocess.Popen(dagster_dev_command(port), env=env, start_new_session=True)
    print(f"hut-availability dev: Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops)", flush=True)
    try:
        return process.wait()
    except _Stop:
        return 0
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop `dagster dev` as Ctrl-C would, then whatever is left of its process group."""
    with _signals_ignored():
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=GRACEFUL_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
        # Run workers or code servers that outlived dagster dev are still in its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
            time.sleep(1.0)
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _signals_raise_stop() -> Iterator[None]:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
