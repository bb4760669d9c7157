"""Settings: one object read from the environment, every variable checked at start-up of every
command (exit status 2, the variable named, never a password). That the manual lists every setting
is test_reference.py's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hut_availability_pipeline.cli import main
from hut_availability_pipeline.config import ConfigError, load_settings


def test_values_come_from_the_environment_and_keywords(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUT_AVAILABILITY_REQUEST_INTERVAL", "0.25")
    monkeypatch.setenv("HUT_AVAILABILITY_HUTS_PER_RUN", "7")
    monkeypatch.setenv("HUT_AVAILABILITY_TIER_HIGH_MINUTES", "15")
    monkeypatch.setenv("HUT_AVAILABILITY_BATCH_SIZE", "")  # empty counts as unset
    monkeypatch.setenv("DAGSTER_HOME", "relative/dagster")
    monkeypatch.setenv("home", "/not/this")  # only the documented name counts
    monkeypatch.chdir(tmp_path)
    settings = load_settings(timezone="UTC")
    assert (settings.request_interval, settings.huts_per_run, settings.batch_size) == (0.25, 7, 20)
    assert settings.tiers.high_interval.total_seconds() == 15 * 60
    assert settings.dagster_home == tmp_path / "relative" / "dagster"  # absolute, as Dagster needs it
    assert settings.home == Path(".hut-availability") and settings.timezone == "UTC"
    assert hash(settings) == hash(load_settings(timezone="UTC"))


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("HUT_AVAILABILITY_REQUEST_INTERVAL", "fast", "HUT_AVAILABILITY_REQUEST_INTERVAL='fast' is not a number"),
        ("HUT_AVAILABILITY_REQUEST_INTERVAL", "-1", "HUT_AVAILABILITY_REQUEST_INTERVAL='-1' must be at least 0"),
        ("HUT_AVAILABILITY_HUTS_PER_RUN", "0", "HUT_AVAILABILITY_HUTS_PER_RUN='0' must be at least 1"),
        ("HUT_AVAILABILITY_RETENTION_CURRENT_DAYS", "soon", "HUT_AVAILABILITY_RETENTION_CURRENT_DAYS='soon' is not"),
        ("HUT_AVAILABILITY_TIER_LOW_MINUTES", "0", "HUT_AVAILABILITY_TIER_LOW_MINUTES='0' must be more than 0"),
        ("HUT_AVAILABILITY_TIER_LOW_THRESHOLD", "90", "tier thresholds must satisfy"),
        ("HRS_BASE_URL", "www.hut-reservation.org", "HRS_BASE_URL='www.hut-reservation.org' must be an http"),
        ("HUETTEN_HOLIDAY_BASE_URL", "ftp://x", "HUETTEN_HOLIDAY_BASE_URL='ftp://x' must be an http"),
        ("HUT_AVAILABILITY_MAP_TILES", "tiles.example.org/{z}/{x}/{y}.png", "must be an http:// or https:// URL"),
        ("HUT_AVAILABILITY_MAP_TILES", "https://t.org/{z}/{x}.png", "must contain {z}, {x} and {y} (missing {y})"),
        ("HUT_AVAILABILITY_MAP_TILES", "https://t.example.org/{z}/{x}/{y}.png'", "must not contain quotes"),
    ],
)
def test_a_bad_value_stops_every_command_with_exit_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings()
    # commands that need no database, and the one that starts everything, refuse before they start
    for argv in (["db", "stop"], ["simulator", "--port", "1"], ["dev", "--port", "1"]):
        assert main(argv) == 2
        assert message in capsys.readouterr().err


def test_map_tiles_name_the_host_the_pages_may_load_images_from(monkeypatch: pytest.MonkeyPatch) -> None:
    default = load_settings()
    assert default.map_tiles == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert (default.map_tile_origin, default.map_tiles_attribution) == (
        "https://tile.openstreetmap.org",
        "© OpenStreetMap contributors",
    )
    monkeypatch.setenv("HUT_AVAILABILITY_MAP_TILES", "http://127.0.0.1:8081/osm/{z}/{x}/{y}.png")
    assert load_settings().map_tile_origin == "http://127.0.0.1:8081"
    monkeypatch.setenv("HUT_AVAILABILITY_MAP_TILES", "none")  # an empty value counts as unset, as everywhere
    off = load_settings()
    assert (off.map_tiles, off.map_tile_origin) == ("", None)


@pytest.mark.parametrize("name", ["DATABASE_URL", "DAGSTER_POSTGRES_URL"])
def test_urls_that_may_hold_a_password_are_never_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    monkeypatch.setenv(name, "mysql://user:s3cret@db.example.org/huts")
    assert main(["db", "where"]) == 2
    err = capsys.readouterr().err
    assert name in err and "must be a postgresql" in err
    assert "s3cret" not in err and "db.example.org" not in err


def test_an_unreachable_database_is_one_line_naming_it_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:s3cret@127.0.0.1:{port}/huts?connect_timeout=5")
    for argv in (["db", "where"], ["show"], ["update", "--dry-run"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert err.startswith(f"hut-availability: error: cannot connect to DATABASE_URL (huts on 127.0.0.1:{port})")
        assert "s3cret" not in err and "Traceback" not in err
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cret@127.0.0.1/huts?no_such_option=1")
    assert main(["db", "where"]) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL is not a valid connection URL" in err and "s3cret" not in err


def test_mail_settings_are_checked_and_the_smtp_password_never_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUT_AVAILABILITY_SMTP_URL", "http://user:s3cret@mail.example.org:465")
    assert main(["db", "where"]) == 2
    err = capsys.readouterr().err
    assert "HUT_AVAILABILITY_SMTP_URL" in err and "must be an smtp://" in err
    assert "s3cret" not in err and "mail.example.org" not in err
    with pytest.raises(ConfigError, match="HUT_AVAILABILITY_MAIL_FROM='nobody' must be an e-mail address"):
        load_settings(mail_from="nobody")
    with pytest.raises(ConfigError, match="HUT_AVAILABILITY_PUBLIC_URL='ftp://x' must be an http"):
        load_settings(public_url="ftp://x")
    assert not load_settings(smtp_url="smtp://127.0.0.1:2525", mail_from="huts@example.org").mail_enabled
    settings = load_settings(
        smtp_url="smtps://u:p@mail.example.org:465", mail_from="Huts <huts@example.org>", public_url="https://h.org/"
    )
    assert settings.mail_enabled and settings.public_url == "https://h.org"
    assert "u:p@" not in repr(settings)
