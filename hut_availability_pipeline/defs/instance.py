"""Dagster's home, instance and storage for this project: where `dagster dev` and the CLI keep runs.

DAGSTER_HOME defaults to `$HUT_AVAILABILITY_HOME/dagster` with the project's `dagster.yaml`. Its
run, event log and schedule storages are dagster-postgres storages whose URL is resolved when an
instance loads: DAGSTER_POSTGRES_URL if set, else a database `dagster` of its own on the data's
server (the embedded one by default, started if needed). So the same dagster.yaml works for
`hut-availability dev`, for `dagster ...` commands run in the project directory and for run workers,
with no URL to write down.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from psycopg import conninfo

from ..config import Settings, load_settings
from ..storage.database import Database, ensure_database
from ..storage.embedded import start_embedded_server

DAGSTER_POSTGRES_URL_ENV = Settings.variable("dagster_postgres_url")
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


def _storage_url(config_value: Mapping[str, Any]) -> str:
    return str(config_value.get("postgres_url") or dagster_storage_url(load_settings()))


_STORAGE_CONFIG = {"postgres_url": dg.Field(dg.StringSource, is_required=False)}


class _ProjectStorage:
    """What the three storages share: an optional `postgres_url`, else the project's database."""

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return _STORAGE_CONFIG

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> Any:
        return cls(_storage_url(config_value), inst_data=inst_data)  # type: ignore[call-arg]


class ProjectRunStorage(_ProjectStorage, PostgresRunStorage):
    """dagster-postgres run storage at the project's Dagster database (see the module docstring)."""


class ProjectEventLogStorage(_ProjectStorage, PostgresEventLogStorage):
    """dagster-postgres event log storage at the project's Dagster database."""


class ProjectScheduleStorage(_ProjectStorage, PostgresScheduleStorage):
    """dagster-postgres schedule storage at the project's Dagster database."""


def prepare_dagster_home(settings: Settings) -> dict[str, str]:
    """Make DAGSTER_HOME ready (the project's dagster.yaml, unless the directory has its own) and
    return the environment Dagster needs: DAGSTER_HOME and DAGSTER_POSTGRES_URL."""
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
    return {"DAGSTER_HOME": str(home), DAGSTER_POSTGRES_URL_ENV: dagster_storage_url(settings)}


def project_instance(settings: Settings) -> dg.DagsterInstance:
    """The project's persistent Dagster instance (sets DAGSTER_HOME and DAGSTER_POSTGRES_URL in this
    process's environment, as the instance's dagster.yaml reads them)."""
    os.environ.update(prepare_dagster_home(settings))
    return dg.DagsterInstance.get()
