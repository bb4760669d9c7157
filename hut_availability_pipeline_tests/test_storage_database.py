"""Connections, migrations and configuration."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.config import ConfigError, load_settings
from hut_availability_pipeline.storage.database import Database, migrate
from hut_availability_pipeline.storage.sqlfiles import migration_files


def test_migrations_are_idempotent_and_recorded(any_db):
    assert migrate(any_db) == []
    with any_db.connect() as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [p.stem for p in migration_files()]


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
