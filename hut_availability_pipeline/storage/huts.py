"""The huts table: storing hut records (`load_huts`: add, update, rename) and listing huts for
fetching. The files they come from are parsed in `catalog.files`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..domain.hut_catalog import place
from ..domain.huts import HutRef
from ..errors import HutAvailabilityError
from .sqlfiles import query


class HutLoadError(HutAvailabilityError, ValueError):
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


def slugify(name: str) -> str:
    """ASCII, lowercase, dash-separated: 'Tällihütte SAC' → 'tallihutte-sac', 'ß' → 'ss'."""
    ascii_name = (
        unicodedata.normalize("NFKD", name.replace("ß", "ss").replace("ẞ", "SS"))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "hut"


_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_GERMAN_LETTERS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def ascii_slug(text: str) -> str:
    """A site's slug made ASCII, as the API's slug pattern and Dagster's partition keys need:
    German letters spelt out ('adamek-hütte-3' → 'adamek-huette-3', as the sites spell their
    ASCII slugs), other accents dropped ('é' → 'e'), anything else a dash. Migration 0011 renames
    stored slugs by the same rule."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_GERMAN_LETTERS)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def is_ascii_slug(slug: str) -> bool:
    """A slug the API, the web pages and CSV loading accept."""
    return _SLUG_RE.match(slug) is not None


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
    return [hut_ref_from_row(r) for r in conn.cursor(row_factory=dict_row).execute(sql).fetchall()]


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
    rows = cursor.execute(_HUT_REF_SQL + condition, (list(keys),)).fetchall()
    found = {key_of(hut): hut for hut in map(hut_ref_from_row, rows)}
    unknown = [k for k in keys if k not in found]
    if unknown:
        shown = ", ".join(repr(k) if isinstance(k, str) else str(k) for k in unknown)
        raise KeyError(f"no bookable hut with {what} {shown}")
    return [found[k] for k in keys]


def hut_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM huts").fetchone()
    return int(row[0]) if row else 0


def source_hut_ids(conn: psycopg.Connection[Any], source: str) -> set[str]:
    """The source hut ids already stored for the booking source `source` (sql/queries/huts_source_hut_ids.sql)."""
    return {row[0] for row in conn.execute(query("huts_source_hut_ids"), {"source": source})}


def hut_slugs(conn: psycopg.Connection[Any]) -> set[str]:
    """Every slug taken by a hut (sql/queries/huts_slugs.sql)."""
    return {row[0] for row in conn.execute(query("huts_slugs"))}
