"""Assets: the hut catalog and, per hut partition, its bookings, current state and history.

Lineage: hut_catalog → hut_bookings → hut_availability → hut_availability_history. The three
per-hut assets come from one op (`hut_refresh`) because the engine writes current state and history
of a batch in one transaction; see `refresh.py` for the design and `io_manager.py` for the writing.
"""

import datetime as dt
from collections.abc import Iterator, Sequence

import dagster as dg
from pydantic import Field

from ..config import load_settings
from ..storage.huts import bookable_huts, catalog_records, hut_count, huts_by_slug, load_huts
from ..storage.selection import today_in
from .partitions import ensure_hut_partitions, hut_partitions, sync_hut_partitions
from .refresh import (
    HUT_AVAILABILITY,
    HUT_AVAILABILITY_HISTORY,
    HUT_BOOKINGS,
    PROVIDER_POOL,
    REFRESHED_ASSETS,
    HutBookingsPlan,
    huts_per_run,
    not_stored_since,
    tune_event_storage,
)
from .resources import DatabaseResource, HutReservationResource

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
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """The huts table: every hut with its booking source. Materializing it loads the packaged
    catalog and registers one `huts` partition per active bookable hut (removing the others)."""
    records = catalog_records() if config.load_packaged_catalog else []
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


def build_plan(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    database: DatabaseResource,
    provider: HutReservationResource,
    slugs: Sequence[str],
    days: int | None,
) -> HutBookingsPlan:
    """The lazy `hut_bookings` of a run. A retried step plans only the huts that have not been
    stored since the run was created (the others are done; the site is not asked twice)."""
    settings = load_settings()
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
    return HutBookingsPlan(
        huts=tuple(huts),
        start=today_in(settings.zone, dt.datetime.now(dt.UTC)),
        days=days,
        batch_size=settings.batch_size,
        provider=provider,
        retry_number=context.retry_number,
    )


_PARTITIONED = {"partitions_def": hut_partitions, "group_name": GROUP, "kinds": {"postgres"}}


@dg.multi_asset(
    name="hut_refresh",
    specs=[
        dg.AssetSpec(
            HUT_BOOKINGS,
            deps=[hut_catalog],
            description="What the provider answered for a hut: one row per date (free, total, status).",
            **_PARTITIONED,  # type: ignore[arg-type]
        ).with_io_manager_key(IO_MANAGER_KEY),
        dg.AssetSpec(
            HUT_AVAILABILITY,
            deps=[HUT_BOOKINGS],
            description="Current state (table hut_availability): one row per hut and date, latest check.",
            **_PARTITIONED,  # type: ignore[arg-type]
        ).with_io_manager_key(IO_MANAGER_KEY),
        dg.AssetSpec(
            HUT_AVAILABILITY_HISTORY,
            deps=[HUT_AVAILABILITY],
            description="Change log (table hut_availability_history): one row per state of a hut-date.",
            **_PARTITIONED,  # type: ignore[arg-type]
        ).with_io_manager_key(IO_MANAGER_KEY),
    ],
    partitions_def=hut_partitions,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=huts_per_run()),
    pool=PROVIDER_POOL,
    can_subset=False,
)
def hut_refresh(
    context: dg.AssetExecutionContext,
    config: RefreshConfig,
    database: DatabaseResource,
    hut_reservation: HutReservationResource,
) -> Iterator[dg.Output[HutBookingsPlan]]:
    """Refresh the targeted hut partitions: fetch each hut's bookings and store current state and
    history (one engine call for the whole partition range; a UI backfill of many huts is a few
    runs of up to HUT_AVAILABILITY_HUTS_PER_RUN huts each)."""
    plan = build_plan(context, database, hut_reservation, context.partition_keys, config.days)
    for key in REFRESHED_ASSETS:
        yield dg.Output(plan, output_name=key.to_python_identifier())
