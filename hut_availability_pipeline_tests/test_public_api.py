"""The package stands on Dagster's public API only: no module imports `dagster._...` (or any
other Dagster library's private modules), so upgrading Dagster cannot silently break a speed-up."""

import ast
from pathlib import Path

import hut_availability_pipeline

PACKAGE = Path(hut_availability_pipeline.__file__).parent
DAGSTER_LIBRARIES = ("dagster", "dagster_postgres", "dagster_webserver", "dagster_graphql", "dagster_k8s")


def private_imports(source: str) -> list[str]:
    """The private Dagster modules a module's source imports (any nesting, also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] in DAGSTER_LIBRARIES and any(p.startswith("_") for p in parts[1:]):
                found.append(name)
    return found


def test_no_module_of_the_package_imports_a_private_dagster_module() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): imports
        for path in sorted(PACKAGE.rglob("*.py"))
        if (imports := private_imports(path.read_text()))
    }
    assert offenders == {}


def test_the_guard_sees_private_imports_in_every_form() -> None:
    source = (
        "import dagster._core.events\n"
        "from dagster._serdes import ConfigurableClassData\n"
        "from dagster_postgres import _private\n"
        "def f():\n    from dagster._core.execution.context.system import StepExecutionContext\n"
        "import dagster as dg\nfrom dagster import AssetKey\n"
    )
    assert private_imports(source) == [
        "dagster._core.events",
        "dagster._serdes",
        "dagster._serdes.ConfigurableClassData",
        "dagster_postgres._private",
        "dagster._core.execution.context.system",
        "dagster._core.execution.context.system.StepExecutionContext",
    ]
