"""Assets: the hut catalog and, per hut partition, its bookings, current state and history.

Lineage: hut_catalog → hut_bookings → hut_availability → hut_availability_history. The three
per-hut assets come from one op (`hut_refresh`) because the engine writes current state and history
of a batch in one transaction: the op fetches `hut_bookings` through the provider resource, the IO
manager of `hut_bookings` stores them in both tables (`io_manager.py`), and the op then reports
hut_availability and hut_availability_history materialized.
"""

import datetime as dt
from collections.abc import Iterator, Sequence

import dagster as dg
from pydantic import Field

from ...catalog.files import packaged_records
from ...config import Settings
from ...domain.bookings import HutRef
from ...storage.huts import bookable_huts, hut_count, huts_by_slug, load_huts
from ...storage.selection import today_in
from ..resources import DatabaseResource
from .hut_refresh import (
    BACKFILL_POOL,
    HUT_AVAILABILITY,
    HUT_AVAILABILITY_HISTORY,
    HUT_BOOKINGS,
    HutBookings,
    not_stored_since,
    tune_event_storage,
)
from .partitions import ensure_hut_partitions, hut_partitions, sync_hut_partitions

GROUP = "availability"
IO_MANAGER_KEY = "hut_availability_io_manager"


class HutCatalogConfig(dg.Config):
    """How to materialize the catalog."""

    load_packaged_catalog: bool = Field(
        default=True,
        description="Add or update the huts of the packaged hut-reservation.org catalog; false: only sync"
        " the hut partitions with the huts table (e.g. after `hut-availability huts load file.csv`).",
    )


@dg.asset(group_name=GROUP, kinds={"postgres"})
def hut_catalog(
    context: dg.AssetExecutionContext, config: HutCatalogConfig, database: DatabaseResource
) -> dg.MaterializeResult:
    """The huts table: every hut with its booking source. Materializing it loads the packaged
    catalog and registers one `huts` partition per active bookable hut (removing the others)."""
    records = packaged_records() if config.load_packaged_catalog else []
    with database.database().connect() as conn:
        loaded = load_huts(conn, records) if config.load_packaged_catalog else None
        changes = sync_hut_partitions(conn, context.instance)
        active = len(bookable_huts(conn))
        total = hut_count(conn)
    metadata: dict[str, dg.MetadataValue] = {
        "huts": dg.MetadataValue.int(total),
        "active_bookable_huts": dg.MetadataValue.int(active),
        "partitions_added": dg.MetadataValue.int(len(changes.add)),
        "partitions_removed": dg.MetadataValue.int(len(changes.delete)),
    }
    if loaded is not None:
        metadata["catalog_added"] = dg.MetadataValue.int(loaded.added)
        metadata["catalog_updated"] = dg.MetadataValue.int(loaded.updated)
        notes = [(slug, note) for rec, slug in zip(records, loaded.slugs, strict=True) for note in rec.notes]
        metadata["catalog_corrections"] = dg.MetadataValue.md(
            "| hut | what the catalog rules did |\n|---|---|\n" + "\n".join(f"| {s} | {n} |" for s, n in notes)
        )
    return dg.MaterializeResult(metadata=metadata)


class RefreshConfig(dg.Config):
    """What every refresh fetches."""

    days: int | None = Field(
        default=None,
        ge=1,
        description="Days to store, from today (in the configured zone); none: every day the site serves.",
    )


def huts_to_refresh(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    database: DatabaseResource,
    settings: Settings,
    slugs: Sequence[str],
) -> list[HutRef]:
    """The huts of a refresh step. A retried step gets only the huts that have not been stored
    since the run was created (the others are done; the site is not asked twice)."""
    db = database.database()
    with db.connect() as conn:
        try:
            huts = huts_by_slug(conn, list(slugs))
        except KeyError as exc:
            raise dg.Failure(
                description=f"{exc.args[0]}: load the hut (hut-availability huts load) or pick another partition",
                allow_retries=False,
            ) from None
    tune_event_storage(context.instance)
    ensure_hut_partitions(context.instance, slugs)
    if context.retry_number > 0:
        record = context.instance.get_run_record_by_id(context.run.run_id)
        since = record.create_timestamp if record else dt.datetime.now(dt.UTC)
        huts = not_stored_since(db, settings, huts, since)
        context.log.info(f"retry {context.retry_number}: {len(huts)} of {len(slugs)} hut(s) still to fetch")
    return huts


def refresh_start(settings: Settings) -> dt.date:
    """The first night a refresh stores: today in the configured zone."""
    return today_in(settings.zone, dt.datetime.now(dt.UTC))


def _partitioned_spec(key: dg.AssetKey, dep: dg.AssetKey | dg.AssetsDefinition, description: str) -> dg.AssetSpec:
    """A per-hut partitioned asset of the refresh group, stored in PostgreSQL."""
    return dg.AssetSpec(
        key, deps=[dep], description=description, partitions_def=hut_partitions, group_name=GROUP, kinds={"postgres"}
    )


REFRESH_SPECS = [
    _partitioned_spec(
        HUT_BOOKINGS,
        hut_catalog,
        "What the provider answered for a hut: one row per date (free, total, status).",
    ).with_io_manager_key(IO_MANAGER_KEY),
    _partitioned_spec(
        HUT_AVAILABILITY,
        HUT_BOOKINGS,
        "Current state (table hut_availability): one row per hut and date, latest check.",
    ),
    _partitioned_spec(
        HUT_AVAILABILITY_HISTORY,
        HUT_AVAILABILITY,
        "Change log (table hut_availability_history): one row per state of a hut-date.",
    ),
]


def build_hut_refresh(settings: Settings) -> dg.AssetsDefinition:
    """The `hut_refresh` multi-asset, whose backfills run up to HUT_AVAILABILITY_HUTS_PER_RUN hut
    partitions per run (definitions.py builds it from the settings it read)."""

    @dg.multi_asset(
        name="hut_refresh",
        specs=REFRESH_SPECS,
        partitions_def=hut_partitions,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.huts_per_run),
        pool=BACKFILL_POOL,
        can_subset=False,
    )
    def hut_refresh(
        context: dg.AssetExecutionContext,
        config: RefreshConfig,
        database: DatabaseResource,
        settings: dg.ResourceParam[Settings],
    ) -> Iterator[dg.Output[HutBookings] | dg.MaterializeResult]:
        """Refresh the targeted hut partitions: hand them to the IO manager, which fetches each
        hut's bookings from its provider (the sources at once) and stores current state and history
        through `refresh.parallel.refresh_huts`, the CLI's call; a UI backfill of many huts is a few
        runs of up to HUT_AVAILABILITY_HUTS_PER_RUN huts each."""
        huts = huts_to_refresh(context, database, settings, context.partition_keys)
        bookings = HutBookings(tuple(huts), refresh_start(settings), config.days)
        # Dagster hands an output to its IO manager when the step yields it, before it asks the
        # generator for the next event (test_defs_refresh pins it: a failed hut marks no partition
        # materialized): the tables' results below follow a store that succeeded.
        yield dg.Output(bookings, output_name=HUT_BOOKINGS.to_python_identifier())
        # Stored by the IO manager (which raised, had a hut failed): the tables are materialized too.
        yield dg.MaterializeResult(asset_key=HUT_AVAILABILITY)
        yield dg.MaterializeResult(asset_key=HUT_AVAILABILITY_HISTORY)

    return hut_refresh
