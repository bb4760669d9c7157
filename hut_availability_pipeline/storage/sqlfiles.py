"""Locate and read the SQL in `sql/`: migrations and named queries."""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@functools.cache
def sql_dir() -> Path:
    """`sql/` beside the package (a source checkout) or inside it (an installed wheel)."""
    for candidate in (_PACKAGE_DIR.parent / "sql", _PACKAGE_DIR / "sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError(f"no sql/ directory with migrations found beside or inside {_PACKAGE_DIR}")


@functools.cache
def query(name: str) -> str:
    """The text of the named query `sql/queries/<name>.sql`."""
    path = sql_dir() / "queries" / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def migration_files() -> list[Path]:
    """Migrations in the order they apply: `NNNN_name.sql`, sorted by number."""
    return sorted(sql_dir().glob("migrations/[0-9][0-9][0-9][0-9]_*.sql"))
