"""`huts discover` (catalog/discover.py): the cabins a site lists become huts of that source, against the
simulator's Hütten-Holiday cabin list and a real PostgreSQL; CSV loading with that source too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from hut_availability_pipeline.catalog.discover import discover_huts, records_of
from hut_availability_pipeline.catalog.files import csv_records
from hut_availability_pipeline.cli import main
from hut_availability_pipeline.providers.registry import DiscoveredHut
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.huts import ascii_slug, bookable_huts, is_ascii_slug, load_huts

from ..api.test_api import serving
from ..conftest import libpq_url


@pytest.fixture
def site():
    with SimulatorServer(SimulatorConfig(seed=5, hh_cabins=25), host="127.0.0.1", port=0) as server:
        yield server


def test_the_sites_cabins_become_huts_with_the_sites_slugs(db, site) -> None:
    result = discover_huts(db, "huetten-holiday", site.base_url, 0)
    assert (result.found, result.loaded.added, result.loaded.updated) == (25, 25, 0)
    first = site.simulator.huetten_holiday.model(1).profile
    with db.connect() as conn:
        row = conn.execute(
            "SELECT h.slug, h.name, h.elevation, o.slug FROM huts h JOIN organizations o"
            " ON o.id = h.source_organization_id WHERE h.source_hut_id = '1'"
        ).fetchone()
    site_slug = ascii_slug(first.name.strip()) + "-1"
    assert row == (site_slug, first.name.strip(), first.altitude_m, "huetten-holiday")
    again = discover_huts(db, "huetten-holiday", site.base_url, 0)
    assert (again.loaded.added, again.loaded.updated) == (0, 25)


def test_a_site_slug_with_umlauts_becomes_ascii() -> None:
    huts = [
        DiscoveredHut("3", "Adamek-Hütte", "adamek-hütte-3", "AT", None, None, None),
        DiscoveredHut("4", "Große Café", "große-café-4", "AT", None, None, None),
        DiscoveredHut("5", "Österreicher Hütte", "österreicher-hütte-5", "AT", None, None, None),
    ]
    records = records_of("huetten-holiday", huts, set(), set())
    assert [r.slug for r in records] == ["adamek-huette-3", "grosse-cafe-4", "oesterreicher-huette-5"]


def test_every_discovered_slug_is_ascii_and_a_hut_with_umlauts_answers_on_its_page_and_api(db, site) -> None:
    discover_huts(db, "huetten-holiday", site.base_url, 0)
    with db.connect() as conn:
        rows = conn.execute("SELECT source_hut_id, slug, name FROM huts").fetchall()
    assert rows and all(is_ascii_slug(slug) for _, slug, _ in rows), rows
    umlauts = [(ref, slug) for ref, slug, name in rows if any(c in name.lower() for c in "äöüß")]
    assert umlauts, "the simulator's cabin list has a name with umlauts"
    ref, slug = umlauts[0]
    assert slug == ascii_slug(site.simulator.huetten_holiday.model(int(ref)).profile.name.strip()) + f"-{ref}"
    night = dt.date.today().isoformat()
    with serving(db) as url, httpx.Client(base_url=url) as client:
        assert client.get(f"/huts/{slug}").status_code == 200
        assert client.get(f"/v1/huts/{slug}/availability/{night}").status_code == 200


def test_cabin_ids_that_are_hut_reservation_ids_too_are_other_huts(db, site) -> None:
    with db.connect() as conn:
        load_huts(
            conn, records_of("hrs", [DiscoveredHut("1", "Eine SAC-Hütte", None, "CH", None, None, None)], set(), set())
        )
    discover_huts(db, "huetten-holiday", site.base_url, 0)
    with db.connect() as conn:
        ones = [(h.source, h.source_hut_id) for h in bookable_huts(conn) if h.source_hut_id == "1"]
    assert sorted(ones) == [("hrs", "1"), ("huetten-holiday", "1")]


def test_a_taken_site_slug_falls_back_to_one_from_the_name() -> None:
    hut = DiscoveredHut("9", "Ottohaus", "ottohaus", "AT", 47.4686, 11.9261, 1955)
    (record,) = records_of("huetten-holiday", [hut], set(), {"ottohaus"})
    assert record.slug is None  # load_huts makes one from the name, suffixed on a clash
    (record,) = records_of("huetten-holiday", [hut], set(), set())
    assert (record.slug, record.lat, record.lon, record.elevation) == ("ottohaus", 47.4686, 11.9261, 1955)


def test_the_command_discovers_and_refuses_a_site_without_a_list(db, site, monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", libpq_url(db))
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HUETTEN_HOLIDAY_BASE_URL", site.base_url)
    monkeypatch.setenv("HUT_AVAILABILITY_REQUEST_INTERVAL", "0")
    assert main(["huts", "discover", "--source", "huetten-holiday"]) == 0
    assert "huts: 25 listed by Hütten-Holiday, 25 added, 0 updated" in capsys.readouterr().out
    assert main(["huts", "discover", "--source", "hrs"]) == 2
    assert "hut-reservation.org (hrs) lists no huts publicly" in capsys.readouterr().err
    assert main(["huts", "discover", "--source", "nope"]) == 2
    assert "no booking provider for source 'nope'" in capsys.readouterr().err


def test_a_csv_loads_huetten_holiday_huts(db, tmp_path: Path) -> None:
    csv = tmp_path / "huts.csv"
    csv.write_text(
        "source,source_hut_id,slug,name,country\nhuetten-holiday,27,ottohaus,Ottohaus,AT\n", encoding="utf-8"
    )
    with db.connect() as conn:
        load_huts(conn, csv_records(csv))
        (hut,) = bookable_huts(conn)
    assert (hut.slug, hut.source, hut.source_hut_id) == ("ottohaus", "huetten-holiday", "27")
