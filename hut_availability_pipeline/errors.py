"""The project's exception base, and the whole tree of exceptions drawn in one place.

Every exception this package raises on purpose derives from `HutAvailabilityError`, so a caller
(the CLI, a Dagster op, the API) can catch the project's errors without naming each one and
without catching a programming error by accident. Where callers also rely on a builtin meaning
(`ValueError` for bad input, `LookupError` for an unknown key, `ConnectionError` for a server that
is not there), the class keeps that builtin as a second base. Each class lives beside the code that
raises it; this module imports nothing of ours, so every layer can import it.

`exit_status` is what the command line exits with when the error reaches it: 2 for a problem of
usage or configuration (the user must change something), 1 for a failure of the work itself.

The tree (a test checks that it is exactly the classes of the package):

    HutAvailabilityError
    ├── ConfigError (ValueError)              config: a setting is missing or invalid
    ├── UsageError                            cli: a command line that cannot run
    ├── StartError                            supervisor: a process cannot start (home in use, port taken)
    ├── Stop                                  supervisor: SIGINT/SIGTERM arrived, shut down
    ├── ApiError                              api: an HTTP error answer (status, code, message)
    ├── DatabaseUnavailableError (ConnectionError)
    ├── ConstraintValidationError (RuntimeError)
    ├── StorageError (RuntimeError)           a batch could not be written; it was rolled back
    ├── HutLoadError (ValueError)             a hut CSV/JSON row that cannot be loaded (file, line)
    ├── UnknownHutError (LookupError)         huts (slugs or ids) that are not in the huts table
    ├── UnknownChannelError (ValueError)      a notification URL apprise does not know
    ├── InvalidAddressError (ValueError)      e-mail alerts: an address that cannot be one
    ├── FormError (ValueError)                web: a form submission that cannot be taken
    ├── HistoryFileError (ValueError)         history import: a malformed file (file, line, problem)
    ├── ExportError (ValueError)              history export: cannot be written (format, no Parquet engine)
    ├── ForecastError (ValueError)            forecast: observations that cannot be forecast from
    ├── UpdateRecordError (ValueError)        a stored record of an update that cannot be read
    └── ProviderError                         a booking system and its answers
        ├── UnknownSourceError (KeyError)     no provider for a source slug
        ├── DiscoveryNotSupported (RuntimeError)
        ├── ProviderAnswerError (ValueError)  one hut's whole answer is unusable
        └── CabinListError (RuntimeError)     Hütten-Holiday's hut list cannot be read
"""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "HutAvailabilityError", "ProviderError"]

EXIT_FAILED, EXIT_USAGE = 1, 2


class HutAvailabilityError(Exception):
    """The base of every exception of this package."""

    exit_status: int = EXIT_FAILED


class ProviderError(HutAvailabilityError):
    """A booking system, its registry entry or one of its answers is at fault."""
