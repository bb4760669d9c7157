"""Dagster's home, instance and storage for this project: where Dagster and the CLI keep runs.

DAGSTER_HOME defaults to `$HUT_AVAILABILITY_HOME/dagster` with the project's `dagster.yaml`, whose
storage is dagster-postgres's documented `storage: postgres: postgres_url: {env: DAGSTER_POSTGRES_URL}`.
The URL comes from the settings (`dagster_storage_url`: DAGSTER_POSTGRES_URL if set, else a database
`dagster` of its own on the data's server, the embedded one by default, started if needed) and
reaches Dagster in one of two ways, neither of which changes this process's environment:

- the Dagster processes we start (`dev`, `deploy`) are started with it in their environment
  (`prepare_dagster_home` returns that environment, with DAGSTER_EVENT_BATCH_SIZE for the run
  workers' event writes), and their run workers inherit it; `./.env` (`write_dotenv`) and
  `deploy env` give the same variables to Dagster's own commands (`eval "$(hut-availability deploy
  env)"` in a shell);
- the work `dev` does with Dagster before the UI opens (loading the catalog) runs in a child process
  started with that environment too (`prepare_huts.py`).
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from psycopg import conninfo

from ..config import Settings
from ..storage.database import Database, ensure_database
from ..storage.embedded import start_embedded_server

DAGSTER_POSTGRES_URL_ENV = Settings.variable("dagster_postgres_url")
EVENT_BATCH_SIZE_ENV = Settings.variable("dagster_event_batch_size")
DAGSTER_DATABASE = "dagster"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGSTER_YAML = PROJECT_ROOT / "dagster.yaml"
WORKSPACE_YAML = PROJECT_ROOT / "workspace.yaml"


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else `<HUT_AVAILABILITY_HOME>/dagster` (absolute)."""
    return settings.dagster_home or settings.resolved_home / "dagster"


def dagster_storage_url(settings: Settings) -> str:
    """DAGSTER_POSTGRES_URL if set, else database `dagster` (created if missing) on the data's server,
    as a `postgresql+psycopg2://` URL."""
    return settings.dagster_postgres_url or _default_storage_url(settings)


@functools.cache
def _default_storage_url(settings: Settings) -> str:
    server = settings.database_url or start_embedded_server(settings.home)
    ensure_database(server, DAGSTER_DATABASE)
    return Database(conninfo.make_conninfo(server, dbname=DAGSTER_DATABASE)).sqlalchemy_url("psycopg2")


def prepare_dagster_home(settings: Settings) -> dict[str, str]:
    """Make DAGSTER_HOME ready (the project's dagster.yaml, unless the directory has its own) and
    return the environment the Dagster processes we start are given: DAGSTER_HOME and
    DAGSTER_POSTGRES_URL (what the instance reads) and DAGSTER_EVENT_BATCH_SIZE (read by a run
    worker as it writes events; the setting, so a deployment's own value is kept)."""
    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    managed = settings.dagster_home is None
    if managed or not target.exists():
        if not DAGSTER_YAML.exists():
            raise FileNotFoundError(
                f"{DAGSTER_YAML} not found (not a source checkout?): set DAGSTER_HOME to a directory with"
                " a dagster.yaml"
            )
        shutil.copyfile(DAGSTER_YAML, target)
    return {
        "DAGSTER_HOME": str(home),
        DAGSTER_POSTGRES_URL_ENV: dagster_storage_url(settings),
        EVENT_BATCH_SIZE_ENV: str(settings.dagster_event_batch_size),
    }


DOTENV = PROJECT_ROOT / ".env"
"""`./.env` of the source checkout: Dagster's own CLIs (`dagster dev`, `dg dev`, `dg check defs`,
`dagster definitions validate`, `dagster job launch`) load it from the directory they start in."""
DOTENV_HEADER = (
    "# Written by hut-availability (bootstrap, `dev`, `deploy env --write`): the environment that Dagster's\n"
    "# own commands (dagster dev, dg dev, dg check defs, dagster definitions validate, dagster job launch)\n"
    "# load from ./.env, so they use the same data as `hut-availability dev`. Lines of yours are kept.\n"
)


def write_dotenv(settings: Settings, path: Path = DOTENV) -> dict[str, str]:
    """Write the environment of our Dagster processes (`prepare_dagster_home`: DAGSTER_HOME,
    DAGSTER_POSTGRES_URL, DAGSTER_EVENT_BATCH_SIZE; the embedded server is started if needed) into
    `path`, replacing earlier values of these and keeping any other line; return them."""
    values = prepare_dagster_home(settings)
    kept = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name = line.removeprefix("export ").split("=", 1)[0].strip()
            if name not in values and not DOTENV_HEADER.startswith(line + "\n") and line not in DOTENV_HEADER:
                kept.append(line)
    body = "".join(f"{name}={value}\n" for name, value in values.items())
    path.write_text(DOTENV_HEADER + body + "".join(f"{line}\n" for line in kept), encoding="utf-8")
    return values
