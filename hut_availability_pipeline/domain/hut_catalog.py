"""What of a booking site's hut catalog cannot be taken as given: test huts, and coordinates that
cannot be a hut of hut-reservation.org's clubs (SAC, DAV, ÖAV, AVS, LAV and a few others).

The June 2026 catalog has two test huts and 18 impossible coordinates: latitude and longitude
swapped (3), Swiss grid coordinates read as degrees (LV95 in units of 10⁶ m, "2.709903/1.148126",
4; LV03 in units of 10 km, "66.4688/15.9878", 3), digits lost or garbled ("46.10/78.88",
"27.33, 1.19", "43.308/9.088", "7.44, 31.1", 6), 0/0, and a test hut in Chad. A coordinate is *plausible*
when it lies in `REGION` and, for a hut of a known country, in that country's box; an implausible
one is fixed when swapping, or reading it as Swiss grid coordinates at some power of ten, makes it
plausible, and dropped (None) otherwise. Lost digits are never guessed back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle in WGS84 degrees, edges included."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def __contains__(self, point: tuple[float, float]) -> bool:
        lat, lon = point
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


REGION = Box(43.0, 52.0, 5.0, 17.5)
"""The Alps and the German uplands. The catalog's huts span 45.81–50.96° N (Altissimo in Trentino to
the Saxon Switzerland's Karl-Stein-Hütte) and 6.07–16.20° E (Cabane du Carroz in the Jura to the
Kampthaler-Hütte near Vienna); the margin admits the Maritime Alps and the DAV's huts up to the
Harz should the site list them."""

COUNTRY_MARGIN = 0.05
"""Degrees (about 5 km) added around each country's box: border huts stand on the ridge."""

COUNTRY_BOXES: dict[str, Box] = {
    code: Box(box.lat_min - COUNTRY_MARGIN, box.lat_max + COUNTRY_MARGIN,
              box.lon_min - COUNTRY_MARGIN, box.lon_max + COUNTRY_MARGIN)
    for code, box in {
        "CH": Box(45.82, 47.81, 5.96, 10.49),
        "LI": Box(47.05, 47.27, 9.47, 9.64),
        "AT": Box(46.37, 49.02, 9.53, 17.16),
        "DE": Box(47.27, 55.06, 5.87, 15.04),
        "IT": Box(35.49, 47.09, 6.63, 18.52),
    }.items()
}  # fmt: skip
"""The countries of the catalog (its `hutCountry`), each its bounding box plus `COUNTRY_MARGIN`.
A Swiss hut at 43.3° N is inside `REGION` but in the Ligurian Sea; the country's box says so."""

_SWISS_GRID_COUNTRIES = ("CH", "LI")
_SWISS_GRID_SCALES = tuple(10**k for k in range(7))
"""Swiss grid values were found in metres, kilometres, units of 10 km and of 10⁶ m."""


class Fix(StrEnum):
    """What was done to a catalog coordinate."""

    kept = "kept"
    swapped = "swapped"
    lv95 = "lv95"
    lv03 = "lv03"
    dropped = "dropped"


@dataclass(frozen=True)
class Placement:
    """Where a hut is put: WGS84 degrees (None: no usable coordinates) and what was done."""

    lat: float | None
    lon: float | None
    fix: Fix

    def describe(self, lat: float | None, lon: float | None) -> str:
        """One line for the load's summary, given the coordinates as found."""
        found = "none" if lat is None or lon is None else f"{lat}/{lon}"
        placed = f"{self.lat:.6f}/{self.lon:.6f}" if self.lat is not None and self.lon is not None else ""
        return {
            Fix.kept: f"coordinates {found} kept",
            Fix.swapped: f"coordinates {found} had latitude and longitude swapped: {placed}",
            Fix.lv95: f"coordinates {found} are Swiss LV95 read as degrees: {placed}",
            Fix.lv03: f"coordinates {found} are Swiss LV03 read as degrees: {placed}",
            Fix.dropped: f"coordinates {found} cannot be a hut and cannot be fixed: dropped",
        }[self.fix]


def is_plausible(lat: float | None, lon: float | None, country: str | None) -> bool:
    """Whether a hut of these clubs can stand there: in `REGION`, and in its country's box when the
    country is one of `COUNTRY_BOXES`. Missing coordinates are not plausible."""
    if lat is None or lon is None:
        return False
    box = COUNTRY_BOXES.get(country or "")
    return (lat, lon) in REGION and (box is None or (lat, lon) in box)


def place(lat: float | None, lon: float | None, country: str | None) -> Placement:
    """The coordinates to store for a hut given as `lat`/`lon`: as given when plausible, else
    swapped, else read as Swiss grid coordinates (Swiss and Liechtenstein huts, or huts of unknown
    country), whichever is plausible; else none."""
    if lat is None or lon is None:
        return Placement(None, None, Fix.dropped)
    if is_plausible(lat, lon, country):
        return Placement(lat, lon, Fix.kept)
    if is_plausible(lon, lat, country):
        return Placement(lon, lat, Fix.swapped)
    if country is None or country in _SWISS_GRID_COUNTRIES:
        for east, north in ((lat, lon), (lon, lat)):
            grid = swiss_grid_to_wgs84(east, north)
            if grid is not None and is_plausible(grid[1], grid[2], country):
                return Placement(grid[1], grid[2], grid[0])
    return Placement(None, None, Fix.dropped)


def swiss_grid_to_wgs84(east: float, north: float) -> tuple[Fix, float, float] | None:
    """Read (east, north) as LV95 or LV03 metres at some power of ten (metres, kilometres, 10 km,
    10⁶ m): (which grid, latitude, longitude), or None when no scale puts both in Switzerland's
    grid ranges. The ranges (LV95 E 2'480'000–2'840'000, N 1'070'000–1'300'000; LV03 the same less
    2'000'000 and 1'000'000) have disjoint leading digits, so at most one reading fits."""
    if east <= 0 or north <= 0:
        return None
    for scale in _SWISS_GRID_SCALES:
        e, n = east * scale, north * scale
        if 2_480_000 <= e <= 2_840_000 and 1_070_000 <= n <= 1_300_000:
            return (Fix.lv95, *lv95_to_wgs84(e, n))
        if 480_000 <= e <= 840_000 and 70_000 <= n <= 300_000:
            return (Fix.lv03, *lv03_to_wgs84(e, n))
    return None


def lv95_to_wgs84(east: float, north: float) -> tuple[float, float]:
    """Swiss LV95 (E, N in metres) to WGS84 (latitude, longitude) by swisstopo's approximate
    formulas ("Approximate formulas for the transformation between Swiss projection coordinates
    and WGS84", swisstopo 2016): about 1 m off, far below what a map of huts shows."""
    y = (east - 2_600_000) / 1_000_000
    x = (north - 1_200_000) / 1_000_000
    lon = 2.6779094 + 4.728982 * y + 0.791484 * y * x + 0.1306 * y * x**2 - 0.0436 * y**3
    lat = 16.9023892 + 3.238272 * x - 0.270978 * y**2 - 0.002528 * x**2 - 0.0447 * y**2 * x - 0.0140 * x**3
    return lat * 100 / 36, lon * 100 / 36


def lv03_to_wgs84(y: float, x: float) -> tuple[float, float]:
    """Swiss LV03 (y east, x north, metres) to WGS84 (latitude, longitude): LV95 less its false
    easting and northing of 2'000'000 and 1'000'000 m, the same formulas."""
    return lv95_to_wgs84(y + 2_000_000, x + 1_000_000)


_TEST_MARKER = re.compile(r"(?i)(?<![^\W\d_])(?:test|zzz+)(?=$|[\W\d_]|hütte|huette|hut|haus)")
"""'Test' or 'ZZZ' as a word or as the start of a hut word ('Testhütte'), in any case. Not a
letter sequence inside a word: 'Testa Grigia', 'Celeste', 'Contest' are real names."""


def is_test_hut(name: str) -> bool:
    """Whether a catalog name marks a test entry of the booking site ('Testhütte Carolin', 'ZZZ
    TEST Monbijouhütte'): such huts are loaded inactive, so nothing fetches or maps them."""
    return _TEST_MARKER.search(name) is not None
