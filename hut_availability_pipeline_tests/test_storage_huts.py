"""Loading huts: the packaged catalog and CSV files (all or nothing, errors name the line)."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.storage.huts import (
    HutLoadError,
    bookable_huts,
    catalog_records,
    csv_records,
    load_huts,
    slugify,
)

from .helpers import count

HEADER = "source,source_hut_id,slug,name,country,lat,lon,elevation,capacity,hut_type_open,hut_type_closed\n"


def test_packaged_catalog_has_567_huts_with_unique_slugs(any_db):
    records = catalog_records()
    assert len(records) == 567
    with any_db.connect() as conn:
        first = load_huts(conn, records)
        again = load_huts(conn, records)
        slugs = [h.slug for h in bookable_huts(conn)]
    assert (first.added, first.updated) == (567, 0)
    assert (again.added, again.updated) == (0, 567)
    assert len(set(slugs)) == 567
    assert {"adolf-nossberger-hutte", "zwinglipasshutte"} <= set(slugs)


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
    with pytest.raises(HutLoadError, match="line 1: missing column"):
        csv_records(path)
    path.write_text("source,source_hut_id,slug,name\nhrs,1,a,A\nnope,2,b,B\n", encoding="utf-8")
    with db.connect() as conn, pytest.raises(HutLoadError, match="unknown source 'nope'"):
        load_huts(conn, csv_records(path))
    assert count(db, "huts") == 0
