"""mkdocs hooks (mkdocs.yml `hooks:`): the reference pages generated from the code.

A page's marker is replaced by what `hut_availability_pipeline.reference` renders: the settings
(`<!-- generated: settings -->`), the command line's help (`<!-- generated: cli -->`) and the HTTP
API's endpoints (`<!-- generated: api -->`).
"""

from __future__ import annotations

from typing import Any

from hut_availability_pipeline.reference import (
    API_MARKER,
    CLI_MARKER,
    SETTINGS_MARKER,
    api_reference,
    cli_reference,
    settings_reference,
)


def on_page_markdown(markdown: str, **_: Any) -> str:
    if SETTINGS_MARKER in markdown:
        markdown = markdown.replace(SETTINGS_MARKER, settings_reference())
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, api_reference())
    return markdown
