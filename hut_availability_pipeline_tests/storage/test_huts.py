"""Loading huts: the packaged catalog and CSV files (all or nothing, errors name the line)."""

from __future__ import annotations

import codecs
import dataclasses
import json
from importlib import resources

import pytest

from hut_availability_pipeline.catalog.files import (
    CATALOG_RESOURCE,
    catalog_records,
    csv_records,
    packaged_records,
    tmb_catalog_records,
)
from hut_availability_pipeline.storage.huts import HutLoadError, HutRecord, Rename, bookable_huts, load_huts, slugify

from ..helpers import count

HEADER = "source,source_hut_id,slug,name,country,lat,lon,elevation,capacity,hut_type_open,hut_type_closed\n"


def test_packaged_catalog_has_567_huts_with_unique_slugs(any_db):
    records = catalog_records()
    assert len(records) == 567
    with any_db.connect() as conn:
        first = load_huts(conn, records)
        again = load_huts(conn, records)
        slugs = [h.slug for h in bookable_huts(conn, include_inactive=True)]
        active = [h.slug for h in bookable_huts(conn)]
    assert (first.added, first.updated) == (567, 0)
    assert (again.added, again.updated) == (0, 567)
    assert len(set(slugs)) == 567
    assert {"adolf-nossberger-hutte", "zwinglipasshutte"} <= set(slugs)
    assert sorted(set(slugs) - set(active)) == ["testhutte-carolin", "zzz-test-monbijouhutte"]


# Every hut of the packaged catalog that the catalog rules change, as stored after `huts load`:
# (hut-reservation.org id, name, lat, lon, active). The other 547 are stored as the catalog has them.
CHANGED_CATALOG_HUTS = [
    ("19", "Fründenhütte SAC", None, None, True),  # 7.44, 31.1: garbled
    ("23", "Bächlitalhütte SAC", 46.587038, 8.282682, True),  # LV03 664'688/159'878 in units of 10 km
    ("36", "Capanna Campo Tencia CAS", 46.444188, 8.732739, True),  # LV03 699'440/144'470
    ("38", "Capanna Sasc Furä CAS", 46.315321, 9.582431, True),  # LV95 2'765'110/1'131'580 in 10⁶ m
    ("135", "Capanna Scaletta", 46.607738, 8.940346, True),  # LV95 2'715'043/1'162'932
    ("346", "ZZZ TEST Monbijouhütte", 46.944618, 7.435092, False),  # test hut (in Bern: kept)
    ("347", "Berghaus Alpenrösli", None, None, True),  # 46.87/89.37: digits lost
    ("405", "Skihütte Elm", 46.922454, 9.142993, True),  # LV95 2'729'805/1'198'227
    ("420", "Mischabelhütte AACZ", None, None, True),  # 46.10/78.88: digits lost
    ("526", "Hüttenrunde Gipfelwege", None, None, True),  # 0/0
    # LV03 587'775/153'880: about 10 km east of where it stands, below the Vanil Noir (577'728/153'064);
    # the catalog's digits look transposed as well, which no rule can tell from a plausible place.
    ("574", "Cabane des Marindes", 46.5361, 7.279279, True),
    ("587", "Testhütte Carolin", None, None, False),  # test hut, 12.34/23.56 is in Chad
    ("614", "Sidelenhütte", None, None, True),  # 46.59/84.26: digits lost
    ("615", "Martinsmadhütte SAC", None, None, True),  # 27.33, 1.19: digits lost
    ("651", 'Monte Calino "San Pietro"', 45.56011, 10.50224, True),  # swapped
    ("722", "Alpe Rossiglion", None, None, True),  # 43.308/9.088: a Swiss hut in the Ligurian Sea
    ("727", "Hermann-von-Barth-Hütte", 47.31, 10.4, True),  # swapped
    ("732", "Brisenhaus", 46.914917, 8.464166, True),  # swapped
    ("735", "Rifugio Bassa di Nara", 46.475437, 8.869742, True),  # LV95 2'709'903/1'148'126
]


def _changed_huts(conn):
    rows = conn.execute(
        "SELECT source_hut_id, name, round(lat::numeric, 6)::float8, round(lon::numeric, 6)::float8, is_active"
        " FROM huts WHERE source_hut_id = ANY(%s) ORDER BY source_hut_id::integer",
        ([hut[0] for hut in CHANGED_CATALOG_HUTS],),
    ).fetchall()
    return [tuple(r) for r in rows]


def test_catalog_load_deactivates_test_huts_and_fixes_or_drops_impossible_coordinates(db):
    records = catalog_records()
    assert sorted((r.source_hut_id for r in records if r.notes), key=int) == [h[0] for h in CHANGED_CATALOG_HUTS]
    assert [r.notes for r in records if r.source_hut_id in ("732", "587")] == [
        ("coordinates 8.464166/46.914917 had latitude and longitude swapped: 46.914917/8.464166",),
        ("coordinates 12.34/23.56 cannot be a hut and cannot be fixed: dropped", "test hut: inactive"),
    ]
    with db.connect() as conn:
        load_huts(conn, records)
        assert _changed_huts(conn) == CHANGED_CATALOG_HUTS


def _raw_catalog_records():
    """The packaged catalog as the loader before the catalog rules stored it: coordinates as given."""
    raw = json.loads(resources.files("hut_availability_pipeline.data").joinpath(CATALOG_RESOURCE).read_text("utf-8"))
    given = {str(h["hutId"]): h["coordinates"] for h in raw["huts"]}
    return [
        dataclasses.replace(
            r, lat=given[r.source_hut_id]["lat"], lon=given[r.source_hut_id]["lon"], is_active=None,
            coordinates_checked=False, notes=(),
        )
        for r in catalog_records()
    ]  # fmt: skip


def test_catalog_reload_repairs_huts_stored_before_and_keeps_what_a_csv_fixed(db, tmp_path):
    with db.connect() as conn:
        load_huts(conn, _raw_catalog_records())
        assert conn.execute("SELECT lat, lon FROM huts WHERE source_hut_id = '420'").fetchone() == (46.1, 78.88)
        # Someone gave the Mischabelhütte its place by CSV, and deactivated the Brisenhaus.
        path = tmp_path / "fix.csv"
        path.write_text("source,source_hut_id,slug,name,lat,lon\nhrs,420,mischabelhutte-aacz,Mischabelhütte AACZ,"
                        "46.0986,7.8879\n", encoding="utf-8")  # fmt: skip
        load_huts(conn, csv_records(path))
        conn.execute("UPDATE huts SET is_active = false WHERE source_hut_id = '732'")
        again = load_huts(conn, catalog_records())
        expected = [
            ("420", "Mischabelhütte AACZ", 46.0986, 7.8879, True)
            if hut[0] == "420"
            else ("732", "Brisenhaus", 46.914917, 8.464166, False)
            if hut[0] == "732"
            else hut
            for hut in CHANGED_CATALOG_HUTS
        ]
        assert _changed_huts(conn) == expected
    assert (again.added, again.updated) == (0, 567)


def test_a_reload_drops_stored_coordinates_only_when_impossible(db):
    with db.connect() as conn:
        load_huts(conn, [HutRecord("hrs", "1", "a", "A", country="CH", lat=8.2, lon=46.6),
                         HutRecord("hrs", "2", "b", "B", country="CH", lat=46.6, lon=8.2),
                         HutRecord("hrs", "3", "c", "C", country="CH", lat=46.6, lon=82.0)])  # fmt: skip
        checked = [HutRecord("hrs", str(i), None, name, country="CH", coordinates_checked=True) for i, name in
                   ((1, "A"), (2, "B"), (3, "C"))]  # fmt: skip
        load_huts(conn, checked)
        rows = conn.execute("SELECT slug, lat, lon FROM huts ORDER BY slug").fetchall()
    assert rows == [("a", 46.6, 8.2), ("b", 46.6, 8.2), ("c", None, None)]


def test_slugify():
    assert slugify(" Albert-Heim-Hütte SAC") == "albert-heim-hutte-sac"
    assert slugify("Rifugio Città di Milano") == "rifugio-citta-di-milano"
    assert slugify("Adolf-Noßberger-Hütte") == "adolf-nossberger-hutte"


def test_csv_adds_and_updates_keeping_slugs(db, tmp_path):
    path = tmp_path / "huts.csv"
    path.write_text(HEADER + "hrs,29,my-talli,Tällihütte,CH,46.7,8.3,1726,40,hut,selfhut\n"
                    "hrs,30,other,Other,,,,,,,\n", encoding="utf-8")  # fmt: skip
    with db.connect() as conn:
        load_huts(conn, csv_records(path))
        path.write_text(HEADER + "hrs,29,my-talli,Tällihütte SAC,CH,46.7,8.3,1726,42,hut,bivouac\n")
        result = load_huts(conn, csv_records(path))
        row = conn.execute(
            "SELECT slug, name, capacity, hut_type_closed FROM huts WHERE source_hut_id = '29'"
        ).fetchone()
    assert (result.added, result.updated) == (0, 1)
    assert row == ("my-talli", "Tällihütte SAC", 42, "bivouac")


def test_a_slug_change_of_a_stored_hut_is_refused_unless_asked_for(db, tmp_path):
    path = tmp_path / "huts.csv"
    path.write_text(HEADER + "hrs,29,my-talli,Tällihütte,,,,,,,\nhrs,30,other,Other,,,,,,,\n", encoding="utf-8")
    with db.connect() as conn:
        load_huts(conn, csv_records(path))
        path.write_text(
            HEADER + "hrs,30,other,Other Hut,,,,,,,\nhrs,29,talli,Tällihütte SAC,,,,,,,\n", encoding="utf-8"
        )
        with pytest.raises(HutLoadError) as exc:
            load_huts(conn, csv_records(path))
        assert str(exc.value) == (
            f"1 slug change(s) refused, nothing loaded: {path}: line 3: hrs hut 29 has slug 'my-talli', not 'talli'."
            " A slug names the hut's Dagster partition and its API address; to rename, load again with --rename"
            " (the old slug's Dagster history stays under the old partition)"
        )
        assert conn.execute("SELECT source_hut_id, slug, name FROM huts ORDER BY id").fetchall() == [
            ("29", "my-talli", "Tällihütte"),
            ("30", "other", "Other"),
        ]
        result = load_huts(conn, csv_records(path), rename=True)
        assert conn.execute("SELECT source_hut_id, slug, name FROM huts ORDER BY id").fetchall() == [
            ("29", "talli", "Tällihütte SAC"),
            ("30", "other", "Other Hut"),
        ]
    assert result.renamed == (Rename("my-talli", "talli", f"{path}: line 3"),)
    assert (result.added, result.updated, result.slugs) == (0, 2, ("other", "talli"))


@pytest.mark.parametrize(
    "body,message",
    [
        ("hrs,29,talli,Tälli,CH,100,8,,,,\n", "line 2: lat 100 is outside"),
        ("hrs,29,talli,Tälli,CH,,,high,,,\n", "line 2: elevation 'high' is not a whole number"),
        ("hrs,29,Talli Hut,Tälli,,,,,,,\n", "line 2: slug 'Talli Hut' must be lowercase"),
        ("hrs,29,talli,,,,,,,,\n", "line 2: name is empty"),
        ("hrs,29,talli,Tälli,,,,,,castle,\n", "line 2: hut_type_open 'castle' is not one of"),
        ("hrs,29,a,A,,,,,,,\nhrs,29,b,B,,,,,,,\n", "line 3: hrs hut 29 already on line 2"),
        ("hrs,29,a,A,,,,,,,\nhrs,30,a,B,,,,,,,\n", "line 3: slug 'a' already on line 2"),
        ("hrs,29,a,A,,,,,,,,extra\n", "line 2: more fields than columns"),
    ],
)
def test_bad_csv_rows_name_the_line_and_load_nothing(db, tmp_path, body, message):
    path = tmp_path / "huts.csv"
    path.write_text(HEADER + "hrs,1,fine,Fine,,,,,,,\n" + body, encoding="utf-8")
    expected = message.replace("line 3", "line 4").replace("line 2", "line 3")
    with pytest.raises(HutLoadError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        csv_records(path)
    assert count(db, "huts") == 0


def test_missing_columns_and_unknown_source(db, tmp_path):
    path = tmp_path / "huts.csv"
    path.write_text("source,slug,name\nhrs,a,A\n", encoding="utf-8")
    with pytest.raises(HutLoadError) as exc:
        csv_records(path)
    assert str(exc.value) == (
        f"{path}: line 1: missing column(s) source_hut_id (found: source, slug, name); expected source,source_hut_id,"
        "slug,name and optionally country,lat,lon,elevation,capacity,hut_type_open,hut_type_closed"
    )
    path.write_text("source,source_hut_id,slug,name\nhrs,1,a,A\nnope,2,b,B\n", encoding="utf-8")
    with db.connect() as conn, pytest.raises(HutLoadError, match=f"{path}: line 3: unknown source 'nope'"):
        load_huts(conn, csv_records(path))
    assert count(db, "huts") == 0


def test_csv_with_a_byte_order_mark_loads(db, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(codecs.BOM_UTF8 + "source,source_hut_id,slug,name\r\nhrs,29,talli,Tällihütte\r\n".encode())
    with db.connect() as conn:
        load_huts(conn, csv_records(path))
        rows = conn.execute("SELECT source_hut_id, slug, name FROM huts").fetchall()
    assert rows == [("29", "talli", "Tällihütte")]


@pytest.mark.parametrize(
    "content,message",
    [
        ("source;source_hut_id;slug;name\nhrs;29;talli;Tälli\n".encode(),
         "line 1: the columns are separated by semicolons ('source;source_hut_id;slug;name'); expected commas:"
         " source,source_hut_id,slug,name[,country,lat,lon,elevation,capacity,hut_type_open,hut_type_closed]"),
        ("source\tsource_hut_id\tslug\tname\nhrs\t29\ttalli\tTälli\n".encode(),
         "line 1: the columns are separated by tabs ('source\\tsource_hut_id\\tslug\\tname'); expected commas:"),
        ("source,source_hut_id,slug,name\nhrs,1,a,A\nhrs;29;talli;Tälli\n".encode(),
         "line 3: the fields are separated by semicolons ('hrs;29;talli;Tälli'); expected commas, as in the header"),
        ("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n".encode("utf-16"),
         "line 1: the file is UTF-16 (it starts with the byte order mark FF FE); expected UTF-8: save the file"
         ' as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)")'),
        ("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n".encode("utf-32"),
         "line 1: the file is UTF-32 (it starts with the byte order mark FF FE 00 00); expected UTF-8"),
        ("source,source_hut_id,slug,name\nhrs,29,talli,Tälli\n".encode("utf-16-be"),
         "line 1: the file has NUL bytes, as UTF-16 without a byte order mark has; expected UTF-8"),
        ("source,source_hut_id,slug,name\nhrs,1,a,A\nhrs,29,talli,Tällihütte\n".encode("cp1252"),
         "line 3: byte 0xE4 is not UTF-8 (read as Windows-1252 or Latin-1 the line is 'hrs,29,talli,Tällihütte');"
         " expected UTF-8"),
    ],
)  # fmt: skip
def test_other_delimiters_and_encodings_say_what_was_found_and_what_is_expected(db, tmp_path, content, message):
    path = tmp_path / "huts.csv"
    path.write_bytes(content)
    with pytest.raises(HutLoadError) as exc:
        csv_records(path)
    assert str(exc.value).startswith(f"{path}: {message}")
    assert count(db, "huts") == 0


def test_the_packaged_tmb_refuges_and_a_csv_of_tmb_and_ffcam_refuges_load(db, tmp_path):
    tmb = tmb_catalog_records()
    assert len(tmb) == 41 and {r.source for r in tmb} == {"tmb"}
    assert next(r for r in tmb if r.source_hut_id == "39948").name == "Chalet Les Méandres (ex Tupilak)"
    assert all(r.lat is not None and r.lon is not None for r in tmb)  # coordinates kept, none dropped
    assert len(packaged_records()) == 567 + 41
    csv_file = tmp_path / "alpine.csv"
    csv_file.write_text(
        "source,source_hut_id,slug,name,lat,lon\n"
        "tmb,39948,chalet-les-meandres,Chalet Les Méandres,45.895,6.793\n"
        "ffcam,85,refuge-de-l-aigle,Refuge de l'Aigle,45.9357,6.8861\n",
        encoding="utf-8",
    )
    with db.connect() as conn:
        loaded = load_huts(conn, csv_records(csv_file))
        huts = {(h.source, h.source_hut_id): h.slug for h in bookable_huts(conn)}
    assert (loaded.added, loaded.updated) == (2, 0)
    assert huts == {("tmb", "39948"): "chalet-les-meandres", ("ffcam", "85"): "refuge-de-l-aigle"}
