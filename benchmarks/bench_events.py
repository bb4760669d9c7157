"""What a materialization event costs in Dagster's PostgreSQL storage, written the two ways Dagster
1.13 offers: one by one through an op's public `context.log_event` (what the refresh runs do, three
per hut), and in batches, which Dagster does only for the per-partition events it generates itself
at the end of a *ranged* asset run when DAGSTER_EVENT_BATCH_SIZE is set.

    .venv/bin/python -m benchmarks.bench_events [--huts 300]

Both passes write `--huts` × 3 events (three assets, one partition per hut) into a database of its
own (`dagster_bench_events`, recreated) on the embedded server (HUT_AVAILABILITY_HOME) or DATABASE_URL's
server, with the connections pooled as the refresh runs pool them. Prints seconds and ms per event.
"""

# No `from __future__ import annotations`: Dagster reads the context type from the annotation.
import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
from psycopg import sql

from hut_availability_pipeline.config import load_settings
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.embedded import start_embedded_server

DATABASE = "dagster_bench_events"
ASSETS = ("bench_bookings", "bench_availability", "bench_history")
PARTITIONS = dg.DynamicPartitionsDefinition(name="bench_huts")
METADATA = {"rows_fetched": 400, "new": 0, "changed": 3, "unchanged": 397}
timings: dict[str, float] = {}


@dg.op
def log_one_by_one(context: dg.OpExecutionContext) -> None:
    """What a refresh run's op does: one `log_event` per hut and asset."""
    context.instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
    keys = context.instance.get_dynamic_partitions(PARTITIONS.name)
    started = time.perf_counter()
    for key in keys:
        for asset in ASSETS:
            context.log_event(dg.AssetMaterialization(asset_key=asset, partition=key, metadata=METADATA))
    timings["one by one"] = time.perf_counter() - started


@dg.job
def one_by_one_job() -> None:
    log_one_by_one()


@dg.multi_asset(specs=[dg.AssetSpec(a, partitions_def=PARTITIONS) for a in ASSETS], partitions_def=PARTITIONS)
def ranged(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """A ranged run: Dagster writes each output's per-partition events itself, in batches."""
    context.instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
    timings["batched from"] = time.perf_counter()
    for asset in ASSETS:
        yield dg.MaterializeResult(asset_key=asset, metadata=METADATA)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--huts", type=int, default=300)
    args = parser.parse_args(argv)
    settings = load_settings()
    server = settings.database_url or start_embedded_server(settings.home)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url = Database(psycopg.conninfo.make_conninfo(server, dbname=DATABASE)).sqlalchemy_url("psycopg2")
    keys = [f"hut-{i:04d}" for i in range(args.huts)]
    with tempfile.TemporaryDirectory(prefix="bench_events_") as home:
        (Path(home) / "dagster.yaml").write_text(
            f'storage:\n  postgres:\n    postgres_url: "{url}"\ntelemetry:\n  enabled: false\n'
        )
        # this script's own process: Dagster reads both when the instance is loaded and as it writes
        os.environ["DAGSTER_HOME"] = home
        os.environ["DAGSTER_EVENT_BATCH_SIZE"] = "1000"
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions(PARTITIONS.name, keys)
            one_by_one_job.execute_in_process(instance=instance)
            ranged_run = dg.materialize(
                [ranged],
                instance=instance,
                tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
            )
            batched = time.perf_counter() - timings["batched from"]
            assert ranged_run.success
    events = 3 * args.huts
    print(f"events: {events} ({args.huts} hut partitions × 3 assets), Dagster storage {DATABASE}")
    print(f"{'how':<40} {'s':>6} {'ms/event':>9}")
    print(f"{'one by one (op, context.log_event)':<40} {timings['one by one']:6.2f} "
          f"{1000 * timings['one by one'] / events:9.2f}")  # fmt: skip
    print(f"{'batched (ranged asset run, batch 1000)':<40} {batched:6.2f} {1000 * batched / events:9.2f}")


if __name__ == "__main__":
    main()
