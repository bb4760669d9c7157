"""The catalog rules: test huts by name, and impossible coordinates fixed or dropped."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.domain.hut_catalog import (
    Fix,
    Placement,
    is_plausible,
    is_test_hut,
    lv03_to_wgs84,
    lv95_to_wgs84,
    place,
    swiss_grid_to_wgs84,
)


def test_lv95_and_lv03_to_wgs84_match_swisstopos_figures():
    # swisstopo's worked example: E 2'700'000, N 1'100'000 is 46° 02' 38.87", 8° 43' 49.79".
    lat, lon = lv95_to_wgs84(2_700_000, 1_100_000)
    assert lat == pytest.approx(46 + 2 / 60 + 38.87 / 3600, abs=1e-5)
    assert lon == pytest.approx(8 + 43 / 60 + 49.79 / 3600, abs=1e-5)
    # The projection's origin, the old observatory of Bern.
    assert lv95_to_wgs84(2_600_000, 1_200_000) == pytest.approx((46.951081, 7.438637), abs=1e-6)
    # Vanil Noir, LV03 577'728 / 153'064, is 46° 31' 43" N, 7° 8' 54" E (to the second).
    vanil_noir = (46 + 31 / 60 + 43 / 3600, 7 + 8 / 60 + 54 / 3600)
    assert lv03_to_wgs84(577_728, 153_064) == pytest.approx(vanil_noir, abs=3e-4)


@pytest.mark.parametrize(
    "east,north,expected",
    [
        (2_709_903, 1_148_126, Fix.lv95),  # metres
        (2.709903, 1.148126, Fix.lv95),  # units of 10⁶ m, as the catalog has them
        (2709.903, 1148.126, Fix.lv95),  # kilometres
        (668_000, 176_940, Fix.lv03),
        (668.000, 176.940, Fix.lv03),  # kilometres
        (66.4688, 15.9878, Fix.lv03),  # units of 10 km
        (46.1, 78.88, None),
        (0, 0, None),
        (-2.7, -1.1, None),
        (3.5, 1.1, None),  # east of Switzerland's grid
    ],
)
def test_swiss_grid_readings(east, north, expected):
    reading = swiss_grid_to_wgs84(east, north)
    assert (reading[0] if reading else None) is expected
    if reading:
        assert 45.8 < reading[1] < 47.9 and 5.9 < reading[2] < 10.6


@pytest.mark.parametrize(
    "lat,lon,country,expected",
    [
        (46.5555, 8.1522, "CH", Placement(46.5555, 8.1522, Fix.kept)),
        (50.960052, 14.059685, "DE", Placement(50.960052, 14.059685, Fix.kept)),  # Saxon Switzerland
        (50.5, 9.95, None, Placement(50.5, 9.95, Fix.kept)),  # the Rhön, country unknown
        (8.464166, 46.914917, "CH", Placement(46.914917, 8.464166, Fix.swapped)),
        (10.50224, 45.56011, "IT", Placement(45.56011, 10.50224, Fix.swapped)),
        (2.709903, 1.148126, "CH", Placement(*lv95_to_wgs84(2_709_903, 1_148_126), Fix.lv95)),
        (1.148126, 2.709903, "CH", Placement(*lv95_to_wgs84(2_709_903, 1_148_126), Fix.lv95)),  # N/E order
        (69.944, 14.447, "CH", Placement(*lv03_to_wgs84(699_440, 144_470), Fix.lv03)),
        (2.709903, 1.148126, "AT", Placement(None, None, Fix.dropped)),  # Swiss grid only for Swiss huts
        (46.1, 78.88, "CH", Placement(None, None, Fix.dropped)),  # digits lost: not guessed back
        (43.308, 9.088, "CH", Placement(None, None, Fix.dropped)),  # in the region, but the Ligurian Sea
        (0, 0, "DE", Placement(None, None, Fix.dropped)),
        (12.34, 23.56, "AT", Placement(None, None, Fix.dropped)),  # Chad
        (None, 8.0, "CH", Placement(None, None, Fix.dropped)),
    ],
)
def test_place(lat, lon, country, expected):
    assert place(lat, lon, country) == expected


def test_plausible_needs_the_region_and_the_countrys_box():
    assert is_plausible(47.31, 10.40, "AT")
    assert not is_plausible(48.131607, 16.199331, "CH")  # near Vienna: a box is coarse, but not that coarse
    assert is_plausible(47.31, 10.40, "XX")  # a country without a box: the region decides
    assert not is_plausible(53.5, 10.0, "DE")  # Hamburg: Germany, but no hut of these clubs
    assert not is_plausible(None, 10.0, None)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Testhütte Carolin", True),
        ("ZZZ TEST Monbijouhütte", True),
        ("Hütte Test", True),
        ("test-hut 2", True),
        ("Rifugio Testa Grigia", False),
        ("Rifugio Celeste", False),
        ("Contest Alm", False),
        ("Attestalp", False),
        ("Chamanna Cluozza", False),
        ("Zzyzx Hut", False),
    ],
)
def test_is_test_hut(name, expected):
    assert is_test_hut(name) is expected


def test_placement_describes_what_was_done():
    assert place(8.464166, 46.914917, "CH").describe(8.464166, 46.914917) == (
        "coordinates 8.464166/46.914917 had latitude and longitude swapped: 46.914917/8.464166"
    )
    assert place(46.1, 78.88, "CH").describe(46.1, 78.88) == (
        "coordinates 46.1/78.88 cannot be a hut and cannot be fixed: dropped"
    )
