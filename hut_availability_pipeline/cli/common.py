"""What every command shares: exit statuses, the usage error, opening the database."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..errors import EXIT_FAILED, EXIT_USAGE, HutAvailabilityError

if TYPE_CHECKING:
    from ..config import Settings
    from ..storage.database import Database

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "open_db"]

EXIT_OK = 0  # EXIT_FAILED and EXIT_USAGE come from ..errors, where errors carry their exit status
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command killed by SIGPIPE


class UsageError(HutAvailabilityError):
    """A command-line or configuration problem: exit status 2."""

    exit_status = EXIT_USAGE


def open_db(settings: Settings) -> Database:
    """The project's database, migrated; says so on stderr when this starts the embedded server
    (it keeps running for the next commands)."""
    from ..config import open_configured_database
    from ..storage.embedded import embedded_server_running

    starts_server = settings.database_url is None and not embedded_server_running(settings.home)
    db = open_configured_database(settings)
    if starts_server:
        print(
            f"hut-availability: started the embedded PostgreSQL in {settings.resolved_home / 'pg'}; it keeps"
            " running for the next commands (stop it with: hut-availability db stop)",
            file=sys.stderr,
        )
    return db
