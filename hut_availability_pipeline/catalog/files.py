"""The hut files a catalog load reads: the packaged hut-reservation.org catalog (JSON, or another
file of that shape) and a CSV of huts, parsed into `storage.huts.HutRecord`s with the catalog
rules of `domain.hut_catalog` applied (`hut-availability huts load`). Bad input raises
`HutLoadError` naming the file, the line (or hut) and the problem; nothing is stored here
(`storage.huts.load_huts` stores the records)."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from ..domain.hut_catalog import Fix, is_test_hut, place
from ..storage.huts import HutLoadError, HutRecord, is_ascii_slug

CATALOG_RESOURCE = "hut_catalog_2026-06.json"
TMB_CATALOG_RESOURCE = "tmb_refuges.csv"
"""The Tour du Mont Blanc refuges (leonlan/tour-du-mont-blanc's data/huts.csv, MIT: the notice is
`tmb_refuges.LICENSE.md` beside it), in the `huts load` CSV format with source `tmb`."""
HRS_SOURCE = "hrs"
CSV_REQUIRED = ("source", "source_hut_id", "slug", "name")
CSV_OPTIONAL = ("country", "lat", "lon", "elevation", "capacity", "hut_type_open", "hut_type_closed")


@functools.cache
def hut_types() -> frozenset[str]:
    """The hut types a hut may have: the values of hut-services' `HutTypeEnum` (imported on first
    use: listing huts does not need hut-services)."""
    from hut_services.core.schema import HutTypeEnum

    return frozenset(t.value for t in HutTypeEnum)


def _first_int(text: object) -> int | None:
    if text is None:
        return None
    match = re.search(r"\d+", str(text).replace("'", ""))
    return int(match.group()) if match else None


def catalog_records(path: Path | None = None) -> list[HutRecord]:
    """The huts of the packaged hut-reservation.org catalog (or another file of that shape)."""
    if path is None:
        text = resources.files("hut_availability_pipeline.data").joinpath(CATALOG_RESOURCE).read_text("utf-8")
        where = f"packaged {CATALOG_RESOURCE}"
    else:
        text = path.read_text(encoding="utf-8")
        where = str(path)
    try:
        huts = json.loads(text)["huts"]
    except (ValueError, KeyError, TypeError) as exc:
        raise HutLoadError(f"{where}: not a hut catalog ({exc})") from None
    records = []
    for index, hut in enumerate(huts):
        try:
            records.append(_catalog_record(hut, where))
        except (KeyError, TypeError, ValueError) as exc:
            raise HutLoadError(f"{where}: hut #{index}: {exc!r}") from None
    return records


def tmb_catalog_records() -> list[HutRecord]:
    """The packaged Tour du Mont Blanc refuges (`TMB_CATALOG_RESOURCE`)."""
    resource = resources.files("hut_availability_pipeline.data").joinpath(TMB_CATALOG_RESOURCE)
    with resources.as_file(resource) as path:
        return csv_records(path)


def packaged_records() -> list[HutRecord]:
    """Every packaged catalog: hut-reservation.org's huts and the TMB refuges (what `huts load`
    without a file and the `hut_catalog` asset load). The FFCAM lists no refuges publicly: its
    refuges are loaded from a CSV (docs/booking-systems.md)."""
    return catalog_records() + tmb_catalog_records()


def _catalog_record(hut: dict[str, Any], where: str) -> HutRecord:
    """One hut of the catalog, with the rules of `domain.hut_catalog` applied: a test hut is
    inactive, impossible coordinates are fixed or dropped; `notes` says what was done."""
    coords = hut.get("coordinates") or {}
    lat, lon = _degrees(coords.get("lat")), _degrees(coords.get("lon"))
    name = str(hut["hutName"]).strip()
    country = hut.get("hutCountry")
    placed = place(lat, lon, country)
    notes = []
    if placed.fix is not Fix.kept and (lat is not None or lon is not None):
        notes.append(placed.describe(lat, lon))
    test_hut = is_test_hut(name)
    if test_hut:
        notes.append("test hut: inactive")
    source_hut_id = str(int(hut["hutId"]))
    return HutRecord(
        source=HRS_SOURCE,
        source_hut_id=source_hut_id,
        slug=None,
        name=name,
        country=country,
        lat=placed.lat,
        lon=placed.lon,
        elevation=_first_int(hut.get("altitude")),
        capacity=_first_int(hut.get("totalBedsInfo")),
        is_active=False if test_hut else None,
        coordinates_checked=True,
        origin=f"{where}: hut {source_hut_id}",
        notes=tuple(notes),
    )


def _degrees(value: str | float | None) -> float | None:
    return None if value is None else float(value)


def _optional(row: dict[str, str], key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return value or None


def csv_records(path: Path) -> list[HutRecord]:
    """Parse a hut CSV (UTF-8, with or without a byte order mark; commas), checking every row first;
    raise HutLoadError naming the file, the first bad line, what was found and what is expected."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HutLoadError(f"{path}: cannot open ({exc.strerror})") from None
    text = _csv_text(path, data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        first_line = text.splitlines()[0] if text else ""
        delimiter = _other_delimiter(first_line)
        if delimiter:
            raise HutLoadError(
                f"{path}: line 1: the columns are separated by {delimiter} ({first_line!r});"
                f" expected commas: {','.join(CSV_REQUIRED)}[,{','.join(CSV_OPTIONAL)}]"
            )
        raise HutLoadError(
            f"{path}: line 1: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'nothing'});"
            f" expected {','.join(CSV_REQUIRED)} and optionally {','.join(CSV_OPTIONAL)}"
        )
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise HutLoadError(
            f"{path}: line 1: unknown column(s) {', '.join(unknown)};"
            f" expected {','.join(CSV_REQUIRED)} and optionally {','.join(CSV_OPTIONAL)}"
        )
    records: list[HutRecord] = []
    seen_slugs: dict[str, int] = {}
    seen_ids: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        records.append(_csv_record(path, line, row))
        rec = records[-1]
        assert rec.slug is not None
        if rec.slug in seen_slugs:
            raise HutLoadError(f"{path}: line {line}: slug {rec.slug!r} already on line {seen_slugs[rec.slug]}")
        seen_slugs[rec.slug] = line
        key = (rec.source, rec.source_hut_id)
        if key in seen_ids:
            raise HutLoadError(
                f"{path}: line {line}: {rec.source} hut {rec.source_hut_id} already on line {seen_ids[key]}"
            )
        seen_ids[key] = line
    return records


_SAVE_AS_UTF8 = 'expected UTF-8: save the file as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)")'
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _csv_text(path: Path, data: bytes) -> str:
    """The text of a hut CSV: UTF-8, a leading byte order mark dropped (Excel writes one). Other
    encodings are refused naming the line: UTF-16/32 by their byte order mark or NUL bytes, the
    rest (Windows-1252, Latin-1) at the first byte that is not UTF-8."""
    for bom, encoding in _OTHER_BOMS:  # UTF-32's little-endian mark starts with UTF-16's: test it first
        if data.startswith(bom):
            raise HutLoadError(
                f"{path}: line 1: the file is {encoding} (it starts with the byte order mark"
                f" {bom.hex(' ').upper()}); {_SAVE_AS_UTF8}"
            )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise HutLoadError(
            f"{path}: line {line}: the file has NUL bytes, as UTF-16 without a byte order mark has; {_SAVE_AS_UTF8}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        shown = data.split(b"\n")[line - 1].decode("cp1252", errors="replace").strip()
        raise HutLoadError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02X} is not UTF-8 (read as Windows-1252 or Latin-1"
            f" the line is {shown!r}); {_SAVE_AS_UTF8}"
        ) from None


def _other_delimiter(text: str) -> str | None:
    """The name of the delimiter a line seems separated by when it is not commas, else None."""
    if "," in text:
        return None
    return next((name for sep, name in _OTHER_DELIMITERS.items() if sep in text), None)


def _csv_record(path: Path, line: int, row: dict[str, Any]) -> HutRecord:
    def fail(message: str) -> HutLoadError:
        return HutLoadError(f"{path}: line {line}: {message}")

    if None in row:
        raise fail("more fields than columns")
    values = {k: _optional(row, k) for k in CSV_REQUIRED + CSV_OPTIONAL}
    given = [v for v in values.values() if v is not None]
    delimiter = _other_delimiter(given[0]) if len(given) == 1 else None
    if delimiter:
        raise fail(f"the fields are separated by {delimiter} ({given[0]!r}); expected commas, as in the header")
    for key in CSV_REQUIRED:
        if values[key] is None:
            raise fail(f"{key} is empty")
    slug = values["slug"]
    assert slug is not None
    if not is_ascii_slug(slug):
        raise fail(f"slug {slug!r} must be lowercase letters, digits and dashes")

    def number(key: str, kind: type, low: float, high: float) -> Any:
        raw = values[key]
        if raw is None:
            return None
        try:
            value = kind(raw)
        except ValueError:
            raise fail(f"{key} {raw!r} is not a {'whole number' if kind is int else 'number'}") from None
        if not low <= value <= high:
            raise fail(f"{key} {raw} is outside {low}..{high}")
        return value

    for key in ("hut_type_open", "hut_type_closed"):
        if values[key] is not None and values[key] not in (types := hut_types()):
            raise fail(f"{key} {values[key]!r} is not one of {', '.join(sorted(types))}")
    return HutRecord(
        source=str(values["source"]),
        source_hut_id=str(values["source_hut_id"]),
        slug=slug,
        name=str(values["name"]),
        country=values["country"],
        lat=number("lat", float, -90, 90),
        lon=number("lon", float, -180, 180),
        elevation=number("elevation", int, -500, 9000),
        capacity=number("capacity", int, 0, 100_000),
        hut_type_open=values["hut_type_open"],
        hut_type_closed=values["hut_type_closed"],
        origin=f"{path}: line {line}",
    )
