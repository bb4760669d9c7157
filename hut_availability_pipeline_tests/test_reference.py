"""The manual's generated reference pages and the front page's length (reference.py, README.md)."""

from __future__ import annotations

import re
from pathlib import Path

from hut_availability_pipeline.cli import COMMANDS
from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.reference import (
    API_MARKER,
    CLI_MARKER,
    CLI_WIDTH,
    SETTINGS_MARKER,
    api_reference,
    cli_reference,
    published_openapi,
    settings_reference,
    undescribed_settings,
)
from hut_availability_pipeline.serving.app import create_app

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 200


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; the manual (docs/) is for the rest"


def test_every_setting_has_a_description():
    assert undescribed_settings() == [], "describe these settings in config.py (Field(description=...))"


def test_settings_reference_lists_every_setting_once_with_its_type_default_and_description():
    text = settings_reference()
    variables = re.findall(r"^### `([^`]+)`$", text, flags=re.MULTILINE)
    assert variables == [Settings.variable(name) for name in Settings.model_fields]
    sections = dict(zip(variables, re.split(r"^### `[^`]+`$", text, flags=re.MULTILINE)[1:], strict=True))
    assert sections["HUT_AVAILABILITY_BATCH_SIZE"] == (
        "\n\nHuts per database transaction: a run killed mid-way loses at most the batch in flight.\n\n"
        "*Type:* whole number, ≥ 1. *Default:* `20`.\n\n"
    )
    assert "*Type:* text. *Default:* (unset)." in sections["DATABASE_URL"]
    assert "*Type:* whole number, ≥ 1, ≤ 65535. *Default:* `4000`." in sections["HUT_AVAILABILITY_CODE_SERVER_PORT"]


def test_cli_reference_has_the_help_of_every_command_and_subcommand():
    text = cli_reference()
    for command in COMMANDS:
        assert f"### `hut-availability {command}`" in text
        assert f"usage: hut-availability {command} " in text
    for nested in ("huts load", "huts discover", "db stop", "watch add", "deploy env"):
        assert f"#### `hut-availability {nested}`" in text
    assert "--no-dagster-report" in text


def test_cli_reference_has_its_own_width_whatever_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    narrow = cli_reference()
    monkeypatch.setenv("COLUMNS", "300")
    assert cli_reference() == narrow
    # help lines are wrapped at CLI_WIDTH (a long list of choices in a usage line cannot be)
    assert all(len(line) <= CLI_WIDTH for line in narrow.splitlines() if line.startswith("  --") and "{" not in line)


def test_the_api_reference_is_the_description_the_app_publishes(db):
    published = create_app(db, Settings(), web=True).openapi()
    assert published_openapi()["paths"] == published["paths"]
    assert published_openapi()["components"] == published["components"]


def test_api_reference_has_every_endpoint_and_parameter():
    text = api_reference()
    for path, operations in published_openapi()["paths"].items():
        for method, operation in operations.items():
            assert f"### `{method.upper()} {path}`" in text
            for parameter in operation.get("parameters", []):
                assert f"| `{parameter['name']}` | {parameter['in']} |" in text
    assert "| `days` | query | integer, 1–31 | `4` | How many dates. |" in text


def test_the_reference_pages_carry_their_markers():
    docs = ROOT / "docs"
    assert SETTINGS_MARKER in (docs / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert CLI_MARKER in (docs / "reference" / "cli.md").read_text(encoding="utf-8")
    assert API_MARKER in (docs / "reference" / "api.md").read_text(encoding="utf-8")
