"""`hut-availability huts load | list`: manage the huts table."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..config import Settings
from .common import EXIT_FAILED, EXIT_OK, UsageError, open_db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="huts_command", required=True, metavar="ACTION")
    load = actions.add_parser(
        "load", help="add or update huts (default: the packaged catalogs: hut-reservation.org, TMB refuges)"
    )
    load.add_argument("file", nargs="?", type=Path, help="a CSV: source,source_hut_id,slug,name[,country,...]")
    load.add_argument(
        "--rename",
        action="store_true",
        help="let the CSV change the slug of a hut already stored (by default such a load is refused)",
    )
    actions.add_parser(
        "list", help="list the active bookable huts by slug, with their source, tier and last check (configured zone)"
    )
    discover = actions.add_parser("discover", help="load the huts a booking site lists (e.g. Hütten-Holiday's cabins)")
    discover.add_argument("--source", required=True, metavar="SLUG", help="booking source, e.g. huetten-holiday")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.huts_command == "load":
        return _load(args, settings)
    if args.huts_command == "discover":
        return _discover(args, settings)
    return _list(settings)


def _discover(args: argparse.Namespace, settings: Settings) -> int:
    from ..catalog.discover import discover_huts
    from ..providers.registry import DiscoveryNotSupported, UnknownSourceError, provider_for
    from ..storage.huts import HutLoadError

    try:
        provider = provider_for(args.source)
        base_url = getattr(settings, provider.base_url_setting)
        result = discover_huts(open_db(settings), args.source, base_url, settings.request_interval)
    except (UnknownSourceError, DiscoveryNotSupported, HutLoadError) as exc:
        raise UsageError(str(exc)) from None
    except RuntimeError as exc:  # the site's list could not be read (CabinListError)
        print(f"hut-availability: {exc}", file=sys.stderr)
        return EXIT_FAILED
    loaded = result.loaded
    print(f"huts: {result.found} listed by {provider.name}, {loaded.added} added, {loaded.updated} updated")
    return EXIT_OK


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from ..catalog.files import csv_records, packaged_records
    from ..storage.huts import HutLoadError, load_huts

    try:
        records = csv_records(args.file) if args.file else packaged_records()
        with open_db(settings).connect() as conn:
            result = load_huts(conn, records, rename=args.rename)
    except HutLoadError as exc:
        raise UsageError(str(exc)) from None
    renamed = f", {len(result.renamed)} renamed" if result.renamed else ""
    print(f"huts: {result.added} added, {result.updated} updated{renamed}")
    for change in result.renamed:
        print(f"  renamed {change.old_slug} → {change.new_slug} ({change.origin})")
    for record, slug in zip(records, result.slugs, strict=True):
        for note in record.notes:
            print(f"  {slug}: {note}")
    return EXIT_OK


LIST_HEADER = ("slug", "source:id", "tier", "last check")


def _list(settings: Settings) -> int:
    """The active bookable huts by slug, tab-separated under a header line; the last successful
    check in the configured zone, labelled ("2026-07-10 14:00 CEST")."""
    from ..formatting import local_time
    from ..storage.selection import hut_priorities

    now = dt.datetime.now(dt.UTC)
    with open_db(settings).connect() as conn:
        priorities = sorted(hut_priorities(conn, settings.tiers, now, settings.zone), key=lambda p: p.hut.slug)
    if not priorities:
        print("no huts loaded: load them with `hut-availability huts load`", file=sys.stderr)
        return EXIT_OK
    print("\t".join(LIST_HEADER))
    for p in priorities:
        last = local_time(p.last_success, settings.zone) if p.last_success else "never"
        print(f"{p.hut.slug}\t{p.hut.source}:{p.hut.source_hut_id}\t{p.tier.value}\t{last}")
    return EXIT_OK
