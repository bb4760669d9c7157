"""`hut-availability update`: fetch availability and store it, then record the run in Dagster."""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import pstats
import sys
from typing import Any

from ..argtypes import number, whole_number
from ..config import DEFAULT_REQUEST_INTERVAL, Settings
from ..refresh import DEFAULT_BATCH_SIZE
from .common import EXIT_FAILED, EXIT_OK, UsageError, open_db
from .progress import Progress

logger = logging.getLogger("hut_availability_pipeline")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--hut-slug", action="append", metavar="SLUG", help="update this hut (repeatable)")
    which.add_argument("--hut-id", action="append", type=int, metavar="ID", help="update this hut id (repeatable)")
    which.add_argument("--all", action="store_true", help="update every active hut with a booking source")
    parser.add_argument(
        "--source",
        metavar="SLUG",
        help="only huts of this booking source (hrs, huetten-holiday, tmb, ffcam); default: every source, in parallel",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the huts that would be updated; write nothing")
    parser.add_argument(
        "--days",
        type=whole_number(1),
        default=None,
        help="days to store from today (default: all the site serves)",
    )
    parser.add_argument(
        "--request-interval",
        type=number(0.0),
        default=None,
        metavar="SECONDS",
        help="time between request starts, per provider (default: HUT_AVAILABILITY_REQUEST_INTERVAL if set, else"
        f" each provider's own, {DEFAULT_REQUEST_INTERVAL} for both; the sites tolerate ~1/s)",
    )
    parser.add_argument(
        "--batch-size",
        type=whole_number(1),
        default=None,
        help=f"huts per transaction (default: HUT_AVAILABILITY_BATCH_SIZE if set, else {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument("--profile", action="store_true", help="print time per phase and the top functions")
    parser.add_argument("--no-progress", action="store_true", help="plain log lines instead of progress bars")
    parser.add_argument(
        "--no-dagster-report",
        action="store_true",
        help="do not record the update as a run in Dagster (by default it shows in the UI like a sensor's run)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    return _update(args, open_db(settings), settings)


def select_huts(args: argparse.Namespace, db: Any, settings: Settings, now: dt.datetime) -> list[Any]:
    """The huts an `update` works on: named ones, all, or those due by priority."""
    from ..storage.huts import bookable_huts, huts_by_id, huts_by_slug
    from ..storage.selection import due_huts

    with db.connect() as conn:
        try:
            if args.hut_slug:
                return huts_by_slug(conn, args.hut_slug)
            if args.hut_id:
                return huts_by_id(conn, args.hut_id)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
        if args.all:
            return bookable_huts(conn)
        return [p.hut for p in due_huts(conn, settings.tiers, now, settings.zone)]


def _update(args: argparse.Namespace, db: Any, settings: Settings) -> int:
    from ..providers.registry import PROVIDERS, UnknownSourceError, provider_for
    from ..refresh.parallel import refresh_huts, services_at
    from ..storage.selection import today_in

    now = dt.datetime.now(dt.UTC)
    huts = select_huts(args, db, settings, now)
    if args.source:
        try:
            provider_for(args.source)
        except UnknownSourceError as exc:
            raise UsageError(str(exc)) from None
        huts = [hut for hut in huts if hut.source == args.source]
    if args.dry_run:
        print(f"would update {len(huts)} hut(s):")
        for hut in huts:
            print(f"  {hut.slug}")
        return EXIT_OK
    if not huts:
        print("no huts are due for an update")
        return EXIT_OK
    batch_size = args.batch_size or settings.batch_size
    progress = Progress(len(huts), enabled=not args.no_progress and sys.stdout.isatty())
    profiler = cProfile.Profile() if args.profile else None
    base_urls = {p.source: getattr(settings, p.base_url_setting) for p in PROVIDERS.values()}
    intervals = request_intervals(args.request_interval, settings)
    on_fetched, on_stored, recorder = progress.fetched, progress.stored, None
    if not args.no_dagster_report:
        # notes for the Dagster record, collected without Dagster (which the command never loads)
        from ..refresh.notes import RefreshNotes

        recorder = RefreshNotes(on_fetched=progress.fetched, on_stored=progress.stored)
        on_fetched, on_stored = recorder.on_fetched, recorder.on_stored
    try:
        with progress:
            if profiler:
                profiler.enable()
            everything = refresh_huts(
                db,
                huts,
                services_at(base_urls),
                start=today_in(settings.zone, now),
                days=args.days,
                request_intervals=intervals,
                batch_size=batch_size,
                on_fetched=on_fetched,
                on_stored=on_stored,
            )
    except UnknownSourceError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if profiler:
            profiler.disable()
    report = everything.merged
    for error in everything.storage_errors:
        print(f"hut-availability: {error}", file=sys.stderr)
    if everything.storage_errors and not report.outcomes:
        return EXIT_FAILED
    _print_summary(report)
    if len(everything.sources) > 1:
        for run in everything.sources.values():
            if run.report is not None:
                print(
                    f"  {run.source}: {len(run.report.stored)} of {run.huts} hut(s) in {run.report.wall_seconds:.1f} s"
                )
    if recorder is not None:
        from ..refresh.record import save_record

        record_id = save_record(db, report, recorder, trigger="cli")
        if record_id is not None:
            print(
                f"kept as update record {record_id}: Dagster's daemon (hut-availability dev, or a deployment)"
                " shows it as a run of hut_update_report_job within a minute"
            )
    if profiler:
        _print_profile(report, profiler)
    if everything.storage_errors:
        return EXIT_FAILED
    if report.failed:
        print(f"{len(report.failed)} hut(s) failed:", file=sys.stderr)
        for line in report.failure_lines():
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _print_summary(report: Any) -> None:
    t = report.totals()
    print(
        f"updated {len(report.stored)} of {len(report.outcomes)} hut(s) in {report.wall_seconds:.1f} s: "
        f"{t.fetched} dates fetched, {t.new} new, {t.changed} changed, {t.unchanged} unchanged, "
        f"{t.stale} stale, {t.missing} no longer returned; history +{t.history_inserted}"
    )
    rejected = sum(len(o.rejected_days) for o in report.outcomes.values())
    if rejected:
        print(f"{rejected} day(s) rejected by the parser (see -v for reasons)")
        for o in report.outcomes.values():
            for reason in o.rejected_days:
                logger.info("hut %s: rejected day %s", o.hut.slug, reason)


def _print_profile(report: Any, profiler: cProfile.Profile) -> None:
    print("\nprofile (phases overlap: fetching runs while the previous batch is stored)")
    print(f"  fetch     {report.fetch_seconds:8.2f} s")
    print(f"  database  {report.db_seconds:8.2f} s in {report.batches} batch(es)")
    print(f"  wall      {report.wall_seconds:8.2f} s")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
    print("\ntop functions by cumulative time (main thread):")
    print(out.getvalue())


def request_intervals(option: float | None, settings: Settings) -> dict[str, float]:
    """Seconds between request starts per provider: `--request-interval`, else
    HUT_AVAILABILITY_REQUEST_INTERVAL when it is set (as Dagster's runs take it), else none given
    (each provider's own)."""
    from ..providers.registry import PROVIDERS

    if option is None and "request_interval" in settings.model_fields_set:
        option = settings.request_interval
    return {} if option is None else dict.fromkeys(PROVIDERS, option)
