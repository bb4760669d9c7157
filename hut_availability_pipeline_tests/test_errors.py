"""The exception tree drawn in `errors.py` is exactly the package's exception classes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import hut_availability_pipeline
from hut_availability_pipeline import errors
from hut_availability_pipeline.errors import HutAvailabilityError

_TREE_LINE = re.compile(r"^\s*(?:[│ ]*[├└]── )?(\w+)")


def _package_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in the package, by name (names are unique)."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(hut_availability_pipeline.__path__, "hut_availability_pipeline."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                assert found.get(cls.__name__, cls) is cls, f"two exception classes named {cls.__name__}"
                found[cls.__name__] = cls
    return found


def _drawn_tree() -> dict[str, str | None]:
    """class name -> its parent's name, as the docstring of `errors` draws it."""
    doc = errors.__doc__ or ""
    lines = [line for line in doc.split("The tree")[1].splitlines() if "HutAvailabilityError" in line or "──" in line]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        name = _TREE_LINE.match(line)
        assert name, line
        depth = line.find(name.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name.group(1)] = stack[-1][1] if stack else None
        stack.append((depth, name.group(1)))
    return parents


def test_every_exception_of_the_package_derives_from_the_base() -> None:
    outside = sorted(name for name, cls in _package_exceptions().items() if not issubclass(cls, HutAvailabilityError))
    assert outside == []


def test_the_drawn_tree_is_the_real_tree() -> None:
    classes = _package_exceptions()
    real = {
        name: next((base.__name__ for base in cls.__bases__ if issubclass(base, HutAvailabilityError)), None)
        for name, cls in classes.items()
    }
    assert _drawn_tree() == real


def test_builtin_meanings_are_kept() -> None:
    classes = _package_exceptions()
    assert issubclass(classes["ConfigError"], ValueError)
    assert issubclass(classes["UnknownSourceError"], KeyError)
    assert issubclass(classes["DatabaseUnavailableError"], ConnectionError)
