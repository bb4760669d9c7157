"""Security basics: SQL values are always bound, servers bind loopback by default, and no database
password reaches logs, error messages or run metadata."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from hut_availability_pipeline.cli import build_parser
from hut_availability_pipeline.refresh.engine import StorageError, run_update
from hut_availability_pipeline.storage.database import Database

PACKAGE = Path(__file__).resolve().parent.parent / "hut_availability_pipeline"
SQL_DIR = PACKAGE.parent / "sql"
SQL_WORD = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|COPY|CREATE|DROP|ALTER|TRUNCATE|WHERE|SET)\b")
EXECUTING = {"execute", "executemany", "copy", "stream"}

# Reviewed exceptions: formatting that builds SQL from constants of our own (never from values).
ALLOWED = {
    ("storage/writer.py", "_COPY_SQL"),  # column names from the STAGING_COLUMNS constant
}


def _formatted_sql(node: ast.AST) -> bool:
    """An f-string, %-formatting or .format() whose literal text looks like SQL."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return any(isinstance(v, ast.FormattedValue) for v in node.values) and bool(SQL_WORD.search(text))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return isinstance(node.left, ast.Constant) and bool(SQL_WORD.search(str(node.left.value)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        base = node.func.value
        return isinstance(base, ast.Constant) and bool(SQL_WORD.search(str(base.value)))
    return False


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("simulator/"):
            continue  # the simulator executes no SQL
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            # SQL text formatted straight into an execute()/copy() call
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTING:
                for arg in node.args[:1]:
                    if _formatted_sql(arg):
                        found.append(f"{rel}:{node.lineno}: SQL formatted into {node.func.attr}()")
            # or into a variable used later
            if isinstance(node, ast.Assign) and _formatted_sql(node.value):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if not any((rel, n) in ALLOWED for n in names):
                    found.append(f"{rel}:{node.lineno}: SQL built by formatting into {names}")
    return found


def test_no_sql_is_built_by_string_formatting() -> None:
    assert _violations() == []


def test_the_scanner_finds_formatted_sql() -> None:
    bad = ast.parse(
        'conn.execute(f"SELECT * FROM huts WHERE slug = \'{slug}\'")\nq = "DELETE FROM x WHERE id = %s" % 3'
    )
    calls = [n for n in ast.walk(bad) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "execute"]
    assert _formatted_sql(calls[0].args[0])
    assign = next(n for n in ast.walk(bad) if isinstance(n, ast.Assign))
    assert _formatted_sql(assign.value)


def test_named_queries_only_use_bound_parameters() -> None:
    for path in sorted(SQL_DIR.glob("queries/*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))  # comments aside
        assert "{" not in text, f"{path.name}: str.format placeholder in SQL"
        for m in re.finditer(r"%(?!\(\w+\)s|s|%)", text):
            pytest.fail(f"{path.name}: '%' that is not a bound parameter at {m.start()}")


def test_servers_bind_loopback_by_default() -> None:
    from hut_availability_pipeline.supervisor.dev import dagster_dev_command

    parser = build_parser()
    assert parser.parse_args(["serve"]).host == "127.0.0.1"
    assert parser.parse_args(["simulator"]).host == "127.0.0.1"
    command = dagster_dev_command(3000)
    assert command[command.index("-h") + 1] == "127.0.0.1"


SECRET = "s3cret-Pa55"


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://hut:{SECRET}@db.example.org:5433/huts",
        f"host=db.example.org port=5433 dbname=huts user=hut password={SECRET}",
    ],
)
def test_describe_never_shows_the_password(dsn: str) -> None:
    from psycopg import conninfo

    text = Database(conninfo.make_conninfo(dsn)).describe()
    assert SECRET not in text
    assert text == "huts on db.example.org:5433"


def test_a_failed_run_logs_no_password(simulator: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from hut_availability_pipeline.domain.bookings import HutRef
    from hut_availability_pipeline.providers import HutReservationService

    db = Database(f"host={tmp_path} port=1 dbname=huts user=hut password={SECRET} connect_timeout=2")
    hut = HutRef(hut_id=1, slug="h", source="hrs", source_hut_id=str(simulator.simulator.hut_ids()[0]))
    with caplog.at_level(logging.DEBUG), HutReservationService(base_url=simulator.base_url, request_interval=0) as s:
        with pytest.raises(StorageError) as info:
            run_update(db, s, [hut], start=simulator.simulator.now().date(), days=3)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.__cause__)
    assert SECRET not in caplog.text
