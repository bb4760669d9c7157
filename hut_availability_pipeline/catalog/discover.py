"""`huts discover`: load the huts a provider's site lists into the catalog, like `huts load`.

New huts take the site's own slug when it is free (so that the booking link `/huts/<slug>` is the
site's page), made ASCII first (`storage.huts.ascii_slug`: the API and Dagster need ASCII slugs;
such a hut's booking link is then the ASCII form), else a slug made from the name; huts already
stored keep their slug. Coordinates go through the catalog's rule (`domain.hut_catalog.place`:
implausible ones are fixed or dropped).
A hut on two booking systems has one source of record: discovery adds the cabins of one source as
huts of that source; to move an existing hut to another source, load a CSV row with its slug and
the new source (see docs/guide/huts.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.hut_catalog import place
from ..providers.registry import DiscoveredHut, provider_for
from ..storage.database import Database
from ..storage.huts import HutRecord, LoadResult, ascii_slug, hut_slugs, load_huts, source_hut_ids

__all__ = ["DiscoveryResult", "discover_huts", "records_of"]


@dataclass(frozen=True)
class DiscoveryResult:
    """What a discovery found and what loading it did."""

    found: int
    loaded: LoadResult


def records_of(source: str, huts: list[DiscoveredHut], stored_ids: set[str], taken_slugs: set[str]) -> list[HutRecord]:
    """Catalog records of discovered huts: the site's slug (made ASCII: 'adamek-hütte-3' →
    'adamek-huette-3') for a new hut when free, else none (a slug from the name); coordinates
    checked by the catalog's rule."""
    records = []
    taken = set(taken_slugs)
    for hut in huts:
        slug = None
        site_slug = ascii_slug(hut.site_slug) if hut.site_slug else ""
        if hut.source_hut_id not in stored_ids and site_slug and site_slug not in taken:
            slug = site_slug
            taken.add(slug)
        placed = place(hut.lat, hut.lon, hut.country)
        records.append(
            HutRecord(
                source=source,
                source_hut_id=hut.source_hut_id,
                slug=slug,
                name=hut.name,
                country=hut.country,
                lat=placed.lat,
                lon=placed.lon,
                elevation=hut.elevation,
                coordinates_checked=True,
                origin=f"{source} hut list: cabin {hut.source_hut_id}",
            )
        )
    return records


def discover_huts(db: Database, source: str, base_url: str | None, request_interval: float) -> DiscoveryResult:
    """Read the site's hut list and load it (one transaction: all huts or none)."""
    provider = provider_for(source)
    huts = provider.discover(base_url, request_interval)
    with db.connect() as conn:
        stored = source_hut_ids(conn, source)
        taken = hut_slugs(conn)
        loaded = load_huts(conn, records_of(source, huts, stored, taken))
    return DiscoveryResult(found=len(huts), loaded=loaded)
