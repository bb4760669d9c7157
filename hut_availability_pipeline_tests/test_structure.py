"""The house's rooms, checked on the source (ast, no import): what each layer may import.

See docs/architecture.md: `defs/` holds definitions only (process supervision is `supervisor/`),
`api` and `web` are composed by `serving` and do not import each other, nothing below `defs/`
imports dagster, the domain imports nothing of ours, and the inner layers take values, not the
settings (config.py is read at the entry points)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hut_availability_pipeline"
NAME = PACKAGE.name


def imported_modules(path: Path) -> set[str]:
    """The absolute names of every module `path` imports (relative imports resolved), also the
    imports inside functions."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def imports_of(room: str) -> dict[str, set[str]]:
    """Each module of the room (a package or a module under the project's package) and what it imports."""
    root = PACKAGE / room
    files = sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]
    assert files, f"no module in {root}"
    return {str(f.relative_to(PACKAGE)): imported_modules(f) for f in files}


def offending(room: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in imports_of(room).items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_the_import_reader_resolves_relative_imports() -> None:
    """The check below would pass vacuously if relative imports were not resolved."""
    names = imported_modules(PACKAGE / "serving" / "app.py")
    assert f"{NAME}.api.routes" in names
    assert f"{NAME}.serving.deps" in names


def test_defs_holds_definitions_only_no_process_supervision() -> None:
    assert offending("defs", ("subprocess", "signal")) == []


@pytest.mark.parametrize(("room", "other"), [("api", "web"), ("web", "api")])
def test_api_and_web_do_not_import_each_other(room: str, other: str) -> None:
    assert offending(room, (f"{NAME}.{other}",)) == []


@pytest.mark.parametrize("room", ["domain", "storage", "providers", "notify", "refresh", "catalog", "watches"])
def test_nothing_below_defs_imports_dagster(room: str) -> None:
    assert offending(room, ("dagster", f"{NAME}.defs", f"{NAME}.definitions", f"{NAME}.cli")) == []


def test_the_domain_imports_nothing_of_ours() -> None:
    ours = tuple(f"{NAME}.{p.stem}" for p in PACKAGE.iterdir() if p.stem not in ("domain", "__init__", "__pycache__"))
    assert offending("domain", ours) == []


OUTER = ("refresh", "catalog", "watches", "serving", "api", "web", "cli", "defs", "definitions", "supervisor")


@pytest.mark.parametrize("room", ["storage", "providers", "notify"])
def test_storage_providers_and_notify_import_no_use_case_and_no_entry_point(room: str) -> None:
    assert offending(room, tuple(f"{NAME}.{outer}" for outer in OUTER)) == []


@pytest.mark.parametrize("room", ["storage", "providers", "notify", "refresh", "catalog", "watches"])
def test_inner_layers_take_values_not_the_settings(room: str) -> None:
    """Configuration is read once, at an entry point, and passed down as values: no inner module
    imports `config` (its `Settings`, or anything else of it, also under TYPE_CHECKING). What the
    settings mean for a layer is composed outside it (`config.open_configured_database`, the
    retention op's policy); a default that belongs to a layer lives there and config imports it."""
    assert offending(room, (f"{NAME}.config",)) == []
