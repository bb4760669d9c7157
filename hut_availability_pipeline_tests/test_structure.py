"""The house's rooms, checked on the source (ast, no import): what each layer may import.

See docs/architecture.md: `defs/` holds definitions only (process supervision is `supervisor/`),
`api` and `web` are composed by `serving` and do not import each other, nothing below `defs/`
imports dagster, the domain imports nothing of ours, and the inner layers take values, not the
settings (config.py is read at the entry points). And no module writes the process environment
(`os.environ`, `os.putenv`): configuration is read once, at an entry point."""

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


# --- the process environment is read, never written (configuration is read once, at an entry point) ---

ENVIRONMENT_MUTATORS = {"update", "setdefault", "clear", "pop", "popitem", "__setitem__", "__delitem__", "__ior__"}
OS_ENVIRONMENT_FUNCTIONS = {"putenv", "unsetenv"}


def environment_writes(source: str) -> list[str]:
    """Where `source` changes the process environment, as "function:line: what": assignment to or
    deletion of `os.environ[...]` (or `os.environ` itself, `|=` too), its mutating methods, and
    `os.putenv`/`os.unsetenv`; also through `import os as x` and `from os import environ, putenv`."""
    tree = ast.parse(source)
    os_names, environ_names, function_names = {"os"}, set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names.update(alias.asname or alias.name for alias in node.names if alias.name == "os")
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and not node.level:
            for alias in node.names:
                if alias.name in ("environ", "environb"):
                    environ_names.add(alias.asname or alias.name)
                elif alias.name in OS_ENVIRONMENT_FUNCTIONS:
                    function_names.add(alias.asname or alias.name)

    def is_os(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in os_names

    def is_environ(node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb"):
            return is_os(node.value)
        return isinstance(node, ast.Name) and node.id in environ_names

    def is_written(target: ast.expr) -> bool:
        return is_environ(target) or (isinstance(target, ast.Subscript) and is_environ(target.value))

    found = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name if function == "<module>" else f"{function}.{node.name}"
        what = None
        if isinstance(node, ast.Assign | ast.Delete) and any(is_written(t) for t in node.targets):
            what = "assigns to" if isinstance(node, ast.Assign) else "deletes from"
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and is_written(node.target):
            what = "assigns to"
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ENVIRONMENT_MUTATORS and is_environ(func.value):
                what = f"calls .{func.attr} of"
            elif isinstance(func, ast.Attribute) and func.attr in OS_ENVIRONMENT_FUNCTIONS and is_os(func.value):
                what = f"calls os.{func.attr}: changes"
            elif isinstance(func, ast.Name) and func.id in function_names:
                what = f"calls {func.id}: changes"
        if what:
            found.append(f"{function}:{getattr(node, 'lineno', 0)}: {what} the environment")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def test_no_module_changes_the_process_environment() -> None:
    """Dagster's variables (DAGSTER_HOME, DAGSTER_POSTGRES_URL, DAGSTER_EVENT_BATCH_SIZE) are given to
    the processes we start (supervisor/: `dagster dev`, the daemon, the code server, dev's catalog
    load in supervisor/prepare_huts.py); the CLI reference passes argparse its width.
    So no module, entry points included, writes os.environ: there is no exception to list. A
    process-wide change in the middle of a run is seen by every thread and every later line, and
    reading the settings again from it would make two sources of one value."""
    offenders = {
        str(path.relative_to(PACKAGE)): writes
        for path in sorted(PACKAGE.rglob("*.py"))
        if (writes := environment_writes(path.read_text()))
    }
    assert offenders == {}


def test_the_environment_guard_sees_every_form_of_write_and_no_read() -> None:
    source = (
        "import os\nimport os as system\nfrom os import environ as env, putenv\n"
        "os.environ['A'] = '1'\n"
        "def entry():\n"
        "    os.environ.update({'B': '2'})\n"
        "    def inner():\n"
        "        system.environ.setdefault('C', '3')\n"
        "    del env['D']\n"
        "    os.putenv('E', '5')\n"
        "    putenv('F', '6')\n"
        "    os.environ |= {'G': '7'}\n"
        "    env.clear(); os.environ.pop('H', None); os.unsetenv('I')\n"
        "x = os.environ.get('J'); y = dict(os.environ); z = {**os.environ}; os.environ.copy(); os.getenv('K')\n"
        "import subprocess; subprocess.run(['true'], env={**os.environ, 'L': '1'})\n"
    )
    assert environment_writes(source) == [
        "<module>:4: assigns to the environment",
        "entry:6: calls .update of the environment",
        "entry.inner:8: calls .setdefault of the environment",
        "entry:9: deletes from the environment",
        "entry:10: calls os.putenv: changes the environment",
        "entry:11: calls putenv: changes the environment",
        "entry:12: assigns to the environment",
        "entry:13: calls .clear of the environment",
        "entry:13: calls .pop of the environment",
        "entry:13: calls os.unsetenv: changes the environment",
    ]
