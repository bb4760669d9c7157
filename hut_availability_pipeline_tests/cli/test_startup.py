"""The command line's import boundary: commands that do not need Dagster never import it, and
`--help` imports no command's module at all (each run in a fresh interpreter, as a user runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.storage.huts import load_huts

from ..conftest import libpq_url

# Runs the command in-process, then prints the heavy packages it loaded and the environment
# variables it changed in its own process.
PROBE = """
import json, os, sys
from hut_availability_pipeline.cli import main
before = dict(os.environ)
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
changed = sorted(k for k in {*before, *os.environ} if before.get(k) != os.environ.get(k))
heavy = ("dagster", "fastapi", "hut_services", "pandas", "pydantic", "pydantic_settings", "psycopg")
loaded = sorted({name.split(".")[0] for name in sys.modules if name.split(".")[0] in heavy})
modules = sorted(name for name in sys.modules if name.startswith("hut_availability_pipeline.cli."))
print("\\n" + json.dumps({"status": status, "loaded": loaded, "cli_modules": modules, "changed": changed}))
"""


def probe(argv: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def changed_variables(result: dict[str, object]) -> list[str]:
    """The settings' and Dagster's variables the probed command changed in its own process (a
    library, joblib, sets KMP_INIT_AT_FORK for itself when it is imported: not ours to check)."""
    from hut_availability_pipeline.config import Settings

    ours = {Settings.variable(name) for name in Settings.model_fields}
    return [name for name in result["changed"] if name in ours or name.startswith("DAGSTER_")]  # type: ignore[attr-defined]


def test_help_imports_no_command_module_and_nothing_heavy():
    result = probe(["--help"])
    assert result == {
        "status": 0,
        "loaded": [],
        "cli_modules": ["hut_availability_pipeline.cli.common"],
        "changed": [],
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["update", "--help"],
        ["show", "--help"],
        ["serve", "--help"],
        ["dev", "--help"],
        ["simulator", "--help"],
        ["watch", "--help"],
        ["alerts", "--help"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_commands_help_loads_no_dagster(argv):
    result = probe(argv)
    assert result["status"] == 0
    assert "dagster" not in result["loaded"]  # type: ignore[operator]
    assert f"hut_availability_pipeline.cli.{argv[0]}" in result["cli_modules"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "argv",
    [
        ["huts", "list"],
        ["update", "--dry-run", "--all"],
        ["show", "--format", "json"],
        ["db", "where"],
        ["watch", "list"],
        ["alerts", "send"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_commands_that_need_no_dagster_never_import_it(db, tmp_path, argv):
    with db.connect() as conn:
        load_huts(conn, catalog_records())
    env = {"DATABASE_URL": libpq_url(db), "HUT_AVAILABILITY_HOME": str(tmp_path / "home")}
    result = probe(argv, env)
    assert result["status"] == 0
    assert "dagster" not in result["loaded"]  # type: ignore[operator]
    assert "fastapi" not in result["loaded"]  # type: ignore[operator]
    assert changed_variables(result) == []


def test_listing_huts_loads_no_hut_services(db, tmp_path):
    """`huts list` reads huts and their priorities: plain values, no hut-services (half a second of imports)."""
    with db.connect() as conn:
        load_huts(conn, catalog_records())
    env = {"DATABASE_URL": libpq_url(db), "HUT_AVAILABILITY_HOME": str(tmp_path / "home")}
    result = probe(["huts", "list"], env)
    assert result["status"] == 0
    assert result["loaded"] == ["psycopg", "pydantic", "pydantic_settings"]


def test_an_update_with_its_record_for_dagster_never_imports_dagster(db, tmp_path, simulator):
    """The record is one row that the daemon's sensor turns into a run: loading Dagster and logging
    three events per hut in the command more than doubled an unpaced update. The command leaves its
    own environment as it found it."""
    with db.connect() as conn:
        (slug,) = load_huts(conn, catalog_records()[:1]).slugs
    env = {
        "DATABASE_URL": libpq_url(db),
        "HUT_AVAILABILITY_HOME": str(tmp_path / "home"),
        "HRS_BASE_URL": simulator.base_url,
    }
    result = probe(["update", "--hut-slug", slug, "--days", "3", "--request-interval", "0", "--no-progress"], env)
    assert result["status"] == 0
    assert "dagster" not in result["loaded"]  # type: ignore[operator]
    with db.connect() as conn:
        assert conn.execute("SELECT huts, trigger FROM update_records").fetchall() == [(1, "cli")]
    assert changed_variables(result) == []
