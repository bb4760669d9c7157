"""Hut partitions: one dynamic partition per hut slug, kept in sync with the huts table.

The huts table is the truth; Dagster's partition list follows it. `hut_catalog`, the priority sensor
and every refresh run call these functions, so loading huts (by any route) registers their
partitions, and a hut that is removed or deactivated loses its partition and is no longer scheduled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dagster as dg
import psycopg

from ...storage.huts import bookable_huts

HUT_PARTITIONS_NAME = "huts"
hut_partitions = dg.DynamicPartitionsDefinition(name=HUT_PARTITIONS_NAME)


@dataclass(frozen=True)
class PartitionChanges:
    """Partition keys to add and to delete so that the partitions match the active huts."""

    add: tuple[str, ...]
    delete: tuple[str, ...]

    def requests(self) -> list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]:
        """The changes as a sensor's dynamic partition requests."""
        out: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
        if self.add:
            out.append(hut_partitions.build_add_request(list(self.add)))
        if self.delete:
            out.append(hut_partitions.build_delete_request(list(self.delete)))
        return out


def partition_changes(conn: psycopg.Connection[Any], instance: dg.DagsterInstance) -> PartitionChanges:
    """Compare the active bookable huts with the registered partitions."""
    wanted = [hut.slug for hut in bookable_huts(conn)]
    registered = set(instance.get_dynamic_partitions(HUT_PARTITIONS_NAME))
    wanted_set = set(wanted)
    return PartitionChanges(
        add=tuple(slug for slug in wanted if slug not in registered),
        delete=tuple(sorted(registered - wanted_set)),
    )


def sync_hut_partitions(conn: psycopg.Connection[Any], instance: dg.DagsterInstance) -> PartitionChanges:
    """Apply `partition_changes` to the instance now; return what changed."""
    changes = partition_changes(conn, instance)
    if changes.add:
        instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, list(changes.add))
    for slug in changes.delete:
        instance.delete_dynamic_partition(HUT_PARTITIONS_NAME, slug)
    return changes


def ensure_hut_partitions(instance: dg.DagsterInstance, slugs: Iterable[str]) -> None:
    """Register the partitions of these huts if missing (a run may be the first to see a hut)."""
    registered = set(instance.get_dynamic_partitions(HUT_PARTITIONS_NAME))
    missing = [slug for slug in dict.fromkeys(slugs) if slug not in registered]
    if missing:
        instance.add_dynamic_partitions(HUT_PARTITIONS_NAME, missing)
