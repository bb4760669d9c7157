"""`hut-availability dev`'s catalog step, in a process of its own started with Dagster's environment.

Before the UI opens, an empty huts table gets the packaged catalog by materializing `hut_catalog`
(recorded as a run, one partition per hut); otherwise the hut partitions are synced with the huts
table. `dev` runs this module as a child process with the environment it starts `dagster dev` with
(DAGSTER_HOME, DAGSTER_POSTGRES_URL, the home and site roots): `dg.DagsterInstance.get()` and the
settings read it there, at the process's start, so neither process rewrites its environment.

    python -m hut_availability_pipeline.supervisor.prepare_huts [--load-catalog]
"""

from __future__ import annotations

import argparse

import dagster as dg

from ..config import load_settings
from ..defs.refresh.assets import hut_catalog
from ..defs.refresh.jobs import TRIGGER_TAG
from ..defs.refresh.partitions import sync_hut_partitions
from ..defs.resources import DatabaseResource


def prepare_huts(instance: dg.DagsterInstance, database: DatabaseResource, *, load_catalog: bool) -> str | None:
    """Load the packaged catalog (a `hut_catalog` run) or sync the hut partitions; what was done, if anything."""
    if load_catalog:
        result = dg.materialize(
            [hut_catalog], instance=instance, resources={"database": database}, tags={TRIGGER_TAG: "dev"}
        )
        (event,) = result.asset_materializations_for_node("hut_catalog")
        return f"loaded the packaged catalog: {event.metadata['catalog_added'].value} huts"
    with database.database().connect() as conn:
        changes = sync_hut_partitions(conn, instance)
    if changes.add or changes.delete:
        return f"hut partitions +{len(changes.add)} -{len(changes.delete)}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prepare_huts", description=__doc__.splitlines()[0])
    parser.add_argument("--load-catalog", action="store_true", help="load the packaged catalog (the table is empty)")
    args = parser.parse_args(argv)
    database = DatabaseResource(settings=load_settings())
    with dg.DagsterInstance.get() as instance:
        done = prepare_huts(instance, database, load_catalog=args.load_catalog)
    if done:
        print(f"hut-availability dev: {done}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
