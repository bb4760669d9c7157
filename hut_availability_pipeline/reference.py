"""Reference pages of the manual generated from the code, so they cannot drift from it.

- `settings_table()`: every field of `config.Settings` as a markdown table, from the field's own
  environment variable, type, default, bounds and description.
- `cli_reference()`: the `--help` of every command and subcommand of `hut-availability`, from the
  argparse parser the command line itself uses.

The manual's build calls them (`scripts/mkdocs_hooks.py` replaces the markers `SETTINGS_MARKER` and
`CLI_MARKER` in a page); nothing at run time does. Importing this module loads pydantic (the
settings) but no command module; `cli_reference` imports every command's module.
"""

from __future__ import annotations

import argparse
import os
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from .config import Settings

SETTINGS_MARKER = "<!-- generated: settings -->"
CLI_MARKER = "<!-- generated: cli -->"
CLI_WIDTH = 100
"""Columns of the generated `--help` texts (argparse otherwise takes the terminal's width)."""

# the bounds pydantic keeps in a field's metadata, in words
_BOUNDS = {"ge": "≥ {}", "gt": "> {}", "le": "≤ {}", "lt": "< {}", "min_length": "at least {} characters"}


def _type_name(annotation: Any) -> str:
    """A field's type in words: `int`, `path`, `text`; an optional type is the type (unset is its default)."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return " or ".join(_type_name(arg) for arg in get_args(annotation) if arg is not type(None))
    names = {int: "whole number", float: "number", str: "text", Path: "path", bool: "true/false"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(name: str, field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "(unset)"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def _bounds(field: FieldInfo) -> str:
    words = []
    for item in field.metadata:
        for attribute, template in _BOUNDS.items():
            value = getattr(item, attribute, None)
            if value is not None:
                words.append(template.format(f"{value:g}" if isinstance(value, float) else value))
    return ", ".join(words)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_table() -> str:
    """Markdown table of every setting: variable, type and bounds, default, meaning."""
    lines = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        kind = _type_name(field.annotation)
        bounds = _bounds(field)
        if bounds:
            kind = f"{kind}, {bounds}"
        description = field.description or ""
        lines.append(
            f"| `{Settings.variable(name)}` | {_cell(kind)} | {_cell(_default(name, field))} | {_cell(description)} |"
        )
    return "\n".join(lines) + "\n"


def undescribed_settings() -> list[str]:
    """Variables of the settings that have no description (the generated page would have a gap)."""
    return [Settings.variable(name) for name, field in Settings.model_fields.items() if not field.description]


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:  # argparse has no public way to list a parser's subparsers
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _helps(prefix: str, parser: argparse.ArgumentParser, depth: int) -> Iterator[str]:
    heading = "#" * min(depth, 6)
    yield f"{heading} `{prefix}`\n\n```text\n{parser.format_help().rstrip()}\n```\n"
    for name, sub in _subcommands(parser):
        yield from _helps(f"{prefix} {name}", sub, depth + 1)


def cli_reference() -> str:
    """Markdown of the `--help` of `hut-availability` and of each of its commands and subcommands."""
    from .cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(CLI_WIDTH)  # argparse's HelpFormatter reads the width from COLUMNS
    try:
        parser = build_parser()
        parser.prog = "hut-availability"
        return "\n".join(_helps("hut-availability", parser, 2))
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
