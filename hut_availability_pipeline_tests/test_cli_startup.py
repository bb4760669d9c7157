"""The import boundary of the command line: commands that do not need Dagster (or the HTTP API's
FastAPI) never load it, so they answer at once. Each command runs in a fresh interpreter, as a
user runs it; the modules it loaded are read at its exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from .conftest import libpq_url

PROBE = textwrap.dedent(
    """
    import atexit, json, sys
    from hut_availability_pipeline import cli

    def heavy():
        loaded = sorted({name.split(".")[0] for name in sys.modules})
        print("LOADED " + json.dumps([n for n in loaded if n in ("dagster", "fastapi", "uvicorn", "starlette")]),
              file=sys.stderr)

    atexit.register(heavy)
    try:
        code = cli.main(sys.argv[1:])
    except SystemExit as exc:  # --help
        code = exc.code
    sys.exit(code)
    """
)


def loaded_by(*argv: str, env: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    line = next(x for x in run.stderr.splitlines() if x.startswith("LOADED "))
    return run.returncode, json.loads(line.removeprefix("LOADED ")), run.stdout + run.stderr


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("update", "--help"), ("huts", "--help"), ("show", "--help"), ("serve", "--help"),
     ("dev", "--help"), ("simulator", "--help"), ("db", "--help")],
)  # fmt: skip
def test_help_of_every_command_loads_neither_dagster_nor_fastapi(argv):
    code, heavy, output = loaded_by(*argv)
    assert code == 0, output
    assert heavy == [], f"{' '.join(argv)} loaded {heavy}"


def test_commands_that_do_not_need_dagster_never_load_it(db):
    env = {"DATABASE_URL": libpq_url(db)}
    for argv in (("huts", "load"), ("huts", "list"), ("show", "--format", "json"), ("update", "--dry-run"),
                 ("db", "where")):  # fmt: skip
        code, heavy, output = loaded_by(*argv, env=env)
        assert code == 0, output
        assert heavy == [], f"{' '.join(argv)} loaded {heavy}"
