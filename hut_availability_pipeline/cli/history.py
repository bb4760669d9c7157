"""`hut-availability history import | export | convert-wide`: past checks in and out."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..config import Settings
from .common import EXIT_OK, UsageError, open_db


def _time_of_day(text: str) -> dt.time:
    value = dt.time.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset (e.g. 08:00:00+00:00)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="load past checks (CSV, gzip accepted) into the current state and the change history"
    )
    imp.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="observed_at,source,source_hut_id,date,free[,total]"
    )
    exp = actions.add_parser("export", help="write the stored history as checks to CSV or Parquet")
    exp.add_argument("file", type=Path, help="FILE.csv, FILE.csv.gz or FILE.parquet (Parquet: the parquet extra)")
    exp.add_argument("--format", choices=("csv", "parquet"), help="default: by the file's suffix")
    exp.add_argument("--hut", metavar="SLUG", help="one hut only")
    exp.add_argument("--from", dest="from_date", type=dt.date.fromisoformat, metavar="DATE", help="first night")
    exp.add_argument("--to", dest="to_date", type=dt.date.fromisoformat, metavar="DATE", help="last night")
    wide = actions.add_parser(
        "convert-wide", help="convert wide snapshots (one CSV per snapshot, a column per night) to the import format"
    )
    wide.add_argument("files", nargs="+", type=Path, metavar="WIDE.csv", help="named with the snapshot's date")
    wide.add_argument("--huts", type=Path, required=True, help="hut CSV (source,source_hut_id,slug,name): names to ids")
    wide.add_argument("--output", "-o", type=Path, required=True, help="the import file to write")
    wide.add_argument(
        "--time",
        type=_time_of_day,
        default=dt.time(8, tzinfo=dt.UTC),
        help="the snapshots' time of day (08:00:00+00:00)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.history_command == "import":
        return _import(args, settings)
    if args.history_command == "export":
        return _export(args, settings)
    return _convert(args)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from ..history.importer import import_history
    from ..history.rows import HistoryFileError

    today = dt.datetime.now(settings.zone).date()
    db = open_db(settings)
    for path in args.files:
        try:
            with db.connect() as conn:
                result = import_history(conn, path, today=today, retention_days=settings.retention_history_days)
        except HistoryFileError as exc:
            raise UsageError(f"{exc}; nothing of {path} was stored") from None
        c = result.counts
        span = (
            f" from {result.first_observed.isoformat()} to {result.last_observed.isoformat()}"
            if result.first_observed and result.last_observed
            else ""
        )
        print(
            f"{path}: {result.rows} checks in {result.snapshots} snapshots of {result.huts} huts{span}: "
            f"{c.new} new hut-nights, {c.changed} changes, {c.unchanged} confirmed, "
            f"{result.refused_older} refused (not newer than the stored check), {c.history_inserted} history states"
        )
        if result.beyond_retention:
            print(
                f"  note: {result.beyond_retention} of its hut-nights are older than the retention window "
                f"({settings.retention_history_days} days): the next retention run drops their history; "
                "raise HUT_AVAILABILITY_RETENTION_HISTORY_DAYS to keep them",
                file=sys.stderr,
            )
    return EXIT_OK


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from ..history.export import ExportError, export_history, read_checks

    with open_db(settings).connect() as conn:
        checks = read_checks(conn, hut=args.hut, from_date=args.from_date, to_date=args.to_date)
    try:
        written = export_history(checks, args.file, args.format)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    print(f"{args.file}: {written} checks")
    return EXIT_OK


def _convert(args: argparse.Namespace) -> int:
    from ..history.rows import HistoryFileError
    from ..history.wide import convert_wide, hut_ids_by_name

    try:
        snapshots, rows = convert_wide(args.files, hut_ids_by_name(args.huts), args.output, args.time)
    except HistoryFileError as exc:
        raise UsageError(str(exc)) from None
    print(f"{args.output}: {rows} checks from {snapshots} snapshots")
    return EXIT_OK
