"""The huts table: loading the packaged catalog or a CSV, and listing huts for fetching."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..domain.hut_catalog import Fix, is_test_hut, place
from ..domain.huts import HutRef

CATALOG_RESOURCE = "hut_catalog_2026-06.json"
TMB_CATALOG_RESOURCE = "tmb_refuges.csv"
"""The Tour du Mont Blanc refuges (leonlan/tour-du-mont-blanc's data/huts.csv, MIT: the notice is
`tmb_refuges.LICENSE.md` beside it), in the `huts load` CSV format with source `tmb`."""
HRS_SOURCE = "hrs"
CSV_REQUIRED = ("source", "source_hut_id", "slug", "name")
CSV_OPTIONAL = ("country", "lat", "lon", "elevation", "capacity", "hut_type_open", "hut_type_closed")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class HutLoadError(ValueError):
    """A hut file is malformed; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class HutRecord:
    """One hut as given by a catalog or CSV, before it is stored."""

    source: str
    source_hut_id: str
    slug: str | None
    name: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    elevation: int | None = None
    capacity: int | None = None
    hut_type_open: str | None = None
    hut_type_closed: str | None = None
    is_active: bool | None = None
    """False: load the hut inactive (a test hut); None: new huts are active, stored ones keep theirs."""
    coordinates_checked: bool = False
    """lat/lon passed `domain.hut_catalog.place` (catalog records). When they are None, a stored
    hut's coordinates go through the same rule: kept when plausible, fixed or dropped otherwise,
    so that a re-run repairs what an earlier load stored. Unchecked records (a CSV) give
    coordinates as they are, and None keeps the stored ones."""
    origin: str | None = None
    """Where the record came from, for messages: 'huts.csv: line 3', 'packaged catalog: hut 23'."""
    notes: tuple[str, ...] = ()
    """What the catalog rules changed, one line each, for the load's summary."""


@dataclass(frozen=True)
class Rename:
    """A hut whose slug a load changed (asked for with `rename`)."""

    old_slug: str
    new_slug: str
    origin: str | None


@dataclass(frozen=True)
class LoadResult:
    added: int
    updated: int
    slugs: tuple[str, ...]
    """The slug of each record, in order."""
    renamed: tuple[Rename, ...] = ()


@functools.cache
def hut_types() -> frozenset[str]:
    """The hut types a hut may have: the values of hut-services' `HutTypeEnum` (imported on first
    use: listing huts does not need hut-services)."""
    from hut_services.core.schema import HutTypeEnum

    return frozenset(t.value for t in HutTypeEnum)


def slugify(name: str) -> str:
    """ASCII, lowercase, dash-separated: 'Tällihütte SAC' → 'tallihutte-sac', 'ß' → 'ss'."""
    ascii_name = (
        unicodedata.normalize("NFKD", name.replace("ß", "ss").replace("ẞ", "SS"))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "hut"


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


def _degrees(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


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
    if not _SLUG_RE.match(slug):
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


def load_huts(conn: psycopg.Connection[Any], records: Sequence[HutRecord], *, rename: bool = False) -> LoadResult:
    """Add or update huts in one transaction: all of them or none.

    A hut is matched by (source, source hut id), else by slug. Catalog records (no slug) keep an
    existing hut's slug and get `slugify(name)` when new (suffixed by the source id on a clash).
    A record that gives a matched hut another slug renames it only with `rename`; without, the load
    is refused naming every such record (a slug is the hut's Dagster partition and API address).
    """
    added = updated = 0
    slugs: list[str] = []
    renamed: list[Rename] = []
    refused: list[str] = []
    with conn.transaction():
        orgs = dict(conn.execute("SELECT slug, id FROM organizations").fetchall())
        for rec in records:
            if rec.source not in orgs:
                raise HutLoadError(f"{_where(rec)}unknown source {rec.source!r} (known: {', '.join(sorted(orgs))})")
        taken = {row[0] for row in conn.execute("SELECT slug FROM huts")}
        for rec in records:
            org_id = orgs[rec.source]
            stored = _stored_hut(conn, org_id, rec)
            if stored is None:
                slug = rec.slug or _free_slug(slugify(rec.name), rec.source_hut_id, taken)
                if slug in taken:
                    raise HutLoadError(f"{_where(rec)}slug {slug!r} is already used by another hut")
                conn.execute(
                    "INSERT INTO huts (slug, name, country, lat, lon, elevation, capacity, hut_type_open,"
                    " hut_type_closed, is_active, source_organization_id, source_hut_id)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, coalesce(%s, 'hut'), coalesce(%s, 'selfhut'),"
                    " coalesce(%s, true), %s, %s)",
                    (slug, rec.name, rec.country, rec.lat, rec.lon, rec.elevation, rec.capacity,
                     rec.hut_type_open, rec.hut_type_closed, rec.is_active, org_id, rec.source_hut_id),
                )  # fmt: skip
                taken.add(slug)
                added += 1
            else:
                slug = stored.slug
                if rec.slug is not None and rec.slug != stored.slug:
                    if rec.slug in taken:
                        raise HutLoadError(f"{_where(rec)}slug {rec.slug!r} is already used by another hut")
                    if not rename:
                        refused.append(
                            f"{_where(rec)}{rec.source} hut {rec.source_hut_id} has slug {stored.slug!r},"
                            f" not {rec.slug!r}"
                        )
                        continue
                    taken.discard(stored.slug)
                    taken.add(rec.slug)
                    renamed.append(Rename(stored.slug, rec.slug, rec.origin))
                    slug = rec.slug
                lat, lon = _coordinates_to_store(rec, stored)
                conn.execute(
                    "UPDATE huts SET slug = %s, name = %s, country = coalesce(%s, country), lat = %s, lon = %s,"
                    " elevation = coalesce(%s, elevation), capacity = coalesce(%s, capacity),"
                    " hut_type_open = coalesce(%s, hut_type_open), hut_type_closed = coalesce(%s, hut_type_closed),"
                    " is_active = coalesce(%s, is_active), source_organization_id = %s, source_hut_id = %s,"
                    " updated_at = now() WHERE id = %s",
                    (slug, rec.name, rec.country, lat, lon, rec.elevation, rec.capacity, rec.hut_type_open,
                     rec.hut_type_closed, rec.is_active, org_id, rec.source_hut_id, stored.hut_id),
                )  # fmt: skip
                updated += 1
            slugs.append(slug)
        if refused:
            raise HutLoadError(
                f"{len(refused)} slug change(s) refused, nothing loaded: {'; '.join(refused)}."
                " A slug names the hut's Dagster partition and its API address; to rename, load again"
                " with --rename (the old slug's Dagster history stays under the old partition)"
            )
    return LoadResult(added=added, updated=updated, slugs=tuple(slugs), renamed=tuple(renamed))


@dataclass(frozen=True)
class _StoredHut:
    hut_id: int
    slug: str
    country: str | None
    lat: float | None
    lon: float | None


def _stored_hut(conn: psycopg.Connection[Any], org_id: int, rec: HutRecord) -> _StoredHut | None:
    """The stored hut a record updates: the same source hut, else (a record with a slug) the same slug."""
    columns = "SELECT id, slug, country, lat, lon FROM huts WHERE "
    row = conn.execute(
        columns + "source_organization_id = %s AND source_hut_id = %s", (org_id, rec.source_hut_id)
    ).fetchone()
    if row is None and rec.slug is not None:
        row = conn.execute(columns + "slug = %s", (rec.slug,)).fetchone()
    return None if row is None else _StoredHut(*row)


def _coordinates_to_store(rec: HutRecord, stored: _StoredHut) -> tuple[float | None, float | None]:
    """A record's coordinates when it gives them; else the stored ones, through the catalog's
    coordinate rule when the record was checked by it (a re-run of the catalog load repairs or
    drops what an earlier one stored, and keeps plausible ones given by a CSV)."""
    if rec.lat is not None and rec.lon is not None:
        return rec.lat, rec.lon
    if rec.coordinates_checked:
        placed = place(stored.lat, stored.lon, rec.country or stored.country)
        return placed.lat, placed.lon
    return (stored.lat if rec.lat is None else rec.lat), (stored.lon if rec.lon is None else rec.lon)


def _where(rec: HutRecord) -> str:
    return f"{rec.origin}: " if rec.origin else f"hut {rec.name!r}: "


def _free_slug(base: str, source_hut_id: str, taken: set[str]) -> str:
    return base if base not in taken else f"{base}-{source_hut_id}"


_HUT_REF_SQL = """
SELECT h.id AS hut_id, h.slug, o.slug AS source, h.source_hut_id, h.hut_type_open, h.hut_type_closed,
       h.source_organization_id
FROM huts h JOIN organizations o ON o.id = h.source_organization_id
WHERE h.source_hut_id IS NOT NULL
"""


def hut_ref_from_row(row: Mapping[str, Any]) -> HutRef:
    """A HutRef from a hut query's columns by name (hut_id, slug, source, source_hut_id,
    hut_type_open, hut_type_closed, source_organization_id), as `_HUT_REF_SQL` and the selection
    give them (read with psycopg's dict_row)."""
    return HutRef(
        hut_id=row["hut_id"],
        slug=row["slug"],
        source=row["source"],
        source_hut_id=row["source_hut_id"],
        hut_type_open=row["hut_type_open"],
        hut_type_closed=row["hut_type_closed"],
        source_organization_id=row["source_organization_id"],
    )


def bookable_huts(conn: psycopg.Connection[Any], *, include_inactive: bool = False) -> list[HutRef]:
    """Every hut with a booking source (active ones only unless asked), ordered by id."""
    sql = _HUT_REF_SQL + ("" if include_inactive else " AND h.is_active") + " ORDER BY h.id"
    return [hut_ref_from_row(r) for r in conn.cursor(row_factory=dict_row).execute(sql).fetchall()]  # type: ignore[arg-type]


def huts_by_slug(conn: psycopg.Connection[Any], slugs: Sequence[str]) -> list[HutRef]:
    """The bookable huts with these slugs, in the given order; raise KeyError naming unknown ones."""
    return _huts_by(conn, " AND h.slug = ANY(%s)", slugs, lambda hut: hut.slug, "slug")


def huts_by_id(conn: psycopg.Connection[Any], ids: Sequence[int]) -> list[HutRef]:
    """The bookable huts with these ids, in the given order; raise KeyError naming unknown ones."""
    return _huts_by(conn, " AND h.id = ANY(%s)", ids, lambda hut: hut.hut_id, "id")


def _huts_by(
    conn: psycopg.Connection[Any], condition: str, keys: Sequence[Any], key_of: Any, what: str
) -> list[HutRef]:
    cursor = conn.cursor(row_factory=dict_row)
    rows = cursor.execute(_HUT_REF_SQL + condition, (list(keys),)).fetchall()  # type: ignore[arg-type]
    found = {key_of(hut): hut for hut in map(hut_ref_from_row, rows)}
    unknown = [k for k in keys if k not in found]
    if unknown:
        shown = ", ".join(repr(k) if isinstance(k, str) else str(k) for k in unknown)
        raise KeyError(f"no bookable hut with {what} {shown}")
    return [found[k] for k in keys]


def hut_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM huts").fetchone()
    return int(row[0]) if row else 0
