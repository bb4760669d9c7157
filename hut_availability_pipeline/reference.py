"""Reference pages of the manual generated from the code, so they cannot drift from it.

- `settings_reference()`: every field of `config.Settings`, from the field's own environment
  variable, type, default, bounds and description.
- `cli_reference()`: the `--help` of every command and subcommand of `hut-availability`, from the
  argparse parser the command line itself uses.
- `api_reference()`: every endpoint of the HTTP API with its parameters and answers, from the OpenAPI
  description the API publishes (its routers and `api.openapi`).

The manual's build calls them (`scripts/mkdocs_hooks.py` replaces the markers `SETTINGS_MARKER`,
`CLI_MARKER` and `API_MARKER` in a page); nothing at run time does. Importing this module loads
pydantic (the settings) but no command module; `cli_reference` imports every command's module and
`api_reference` FastAPI and the API's routes.
"""

from __future__ import annotations

import argparse
import functools
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, cast, get_args, get_origin

from pydantic.fields import FieldInfo

from .config import Settings

SETTINGS_MARKER = "<!-- generated: settings -->"
CLI_MARKER = "<!-- generated: cli -->"
API_MARKER = "<!-- generated: api -->"
CLI_WIDTH = 100
"""Columns of the generated `--help` texts (argparse otherwise takes the terminal's width), whatever
the terminal or COLUMNS of the build."""

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


def settings_reference() -> str:
    """Markdown of every setting, a section each (so each has an anchor): its environment variable as
    the heading, its description, then its type and bounds and its default."""
    parts = []
    for name, field in Settings.model_fields.items():
        kind = _type_name(field.annotation)
        bounds = _bounds(field)
        facts = f"*Type:* {kind}{f', {bounds}' if bounds else ''}. *Default:* {_default(name, field)}."
        parts.append(f"### `{Settings.variable(name)}`\n\n{field.description or ''}\n\n{facts}\n")
    return "\n".join(parts)


def undescribed_settings() -> list[str]:
    """Variables of the settings that have no description (the generated page would have a gap)."""
    return [Settings.variable(name) for name, field in Settings.model_fields.items() if not field.description]


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:  # argparse has no public way to list a parser's subparsers
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _helps(prefix: str, parser: argparse.ArgumentParser, depth: int) -> Iterator[str]:
    heading = "#" * min(depth, 6)
    # The width as the formatter's parameter, not through COLUMNS (which argparse reads, less the 2
    # columns it keeps free, when none is given): every argparse formatter takes `width`.
    formatter = cast(type[argparse.HelpFormatter], parser.formatter_class)
    parser.formatter_class = functools.partial(formatter, width=CLI_WIDTH - 2)
    yield f"{heading} `{prefix}`\n\n```text\n{parser.format_help().rstrip()}\n```\n"
    for name, sub in _subcommands(parser):
        yield from _helps(f"{prefix} {name}", sub, depth + 1)


def cli_reference() -> str:
    """Markdown of the `--help` of `hut-availability` and of each of its commands and subcommands."""
    from .cli import build_parser

    parser = build_parser()  # a parser of its own: _helps sets the width of its formatters
    parser.prog = "hut-availability"
    return "\n".join(_helps("hut-availability", parser, 2))


def published_openapi() -> dict[str, Any]:
    """The OpenAPI description the API publishes at /openapi.json, without a database: the same
    routers (`api.routes.routers`) and the same post-processing (`api.openapi.openapi_of`) as
    `serving.app.create_app`."""
    from fastapi import FastAPI

    from .api.openapi import openapi_of
    from .api.routes import routers

    app = FastAPI(title="Hut availability", version="1")
    for router in routers():
        app.include_router(router)
    return openapi_of(app)()


def _schema_words(schema: dict[str, Any]) -> str:
    """A parameter's schema in words: its type, bounds, pattern or values."""
    if "anyOf" in schema:
        kinds = [_schema_words(option) for option in schema["anyOf"] if option.get("type") != "null"]
        return " or ".join(kind for kind in kinds if kind)
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "")
    if kind == "array":
        return f"list of {_schema_words(schema.get('items', {}))} (repeat the parameter)"
    words = [kind] if kind else []
    if "enum" in schema:
        words = ["one of " + ", ".join(f"`{value}`" if value != "" else "empty" for value in schema["enum"])]
    if "minimum" in schema and "maximum" in schema:
        words.append(f"{schema['minimum']}–{schema['maximum']}")
    if "maxLength" in schema:
        words.append(f"at most {schema['maxLength']} characters")
    if "pattern" in schema and len(schema["pattern"]) <= 60:
        words.append(f"pattern `{schema['pattern']}`")
    return ", ".join(words)


def api_reference() -> str:
    """Markdown of every endpoint of the published OpenAPI description: summary, description,
    parameters and answers."""
    spec = published_openapi()
    parts: list[str] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            parts.append(f"### `{method.upper()} {path}`\n")
            if operation.get("summary"):
                summary = operation["summary"]
                parts.append(f"**{summary}{'' if summary.endswith(('.', '?', '!')) else '.'}**\n")
            if operation.get("description"):
                parts.append(operation["description"].strip() + "\n")
            parameters = operation.get("parameters", [])
            if parameters:
                parts.append("| parameter | in | type | default | meaning |\n|---|---|---|---|---|")
                for parameter in parameters:
                    schema = parameter.get("schema", {})
                    default = schema.get("default")
                    shown = "(required)" if parameter.get("required") else ("" if default is None else f"`{default}`")
                    description = parameter.get("description") or schema.get("description") or ""
                    parts.append(
                        f"| `{parameter['name']}` | {parameter['in']} | {_cell(_schema_words(schema))} | "
                        f"{_cell(shown)} | {_cell(description)} |"
                    )
                parts.append("")
            answers = ", ".join(
                f"{status} {response.get('description', '')}".strip()
                for status, response in operation.get("responses", {}).items()
            )
            parts.append(f"Answers: {answers}.\n")
    return "\n".join(parts)
