"""`hut-availability`: the command line. Thin: parse, call the engine or storage, print.

Exit status: 0 success, 1 some huts failed (they are named), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import os
import pstats
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .argtypes import number, whole_number
from .config import DEFAULT_REQUEST_INTERVAL, ConfigError, Settings, load_settings
from .storage.database import DatabaseUnavailableError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command killed by SIGPIPE
logger = logging.getLogger("hut_availability_pipeline")


class UsageError(Exception):
    """A command-line or configuration problem: exit status 2."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line. The options of `show`, `serve` and `dev` come from their own
    modules, which are imported only when `command` is theirs (or None: every command), so that
    other commands and `--help` start without them (hut-services' and FastAPI's imports take a
    second each)."""
    parser = argparse.ArgumentParser(
        prog="hut-availability",
        description="Track mountain-hut availability: current state and change history in PostgreSQL.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("update", help="fetch availability and store it (default: the huts that are due)")
    which = up.add_mutually_exclusive_group()
    which.add_argument("--hut-slug", action="append", metavar="SLUG", help="update this hut (repeatable)")
    which.add_argument("--hut-id", action="append", type=int, metavar="ID", help="update this hut id (repeatable)")
    which.add_argument("--all", action="store_true", help="update every active hut with a booking source")
    up.add_argument("--dry-run", action="store_true", help="list the huts that would be updated; write nothing")
    up.add_argument(
        "--days",
        type=whole_number(1),
        default=None,
        help="days to store from today (default: all the site serves)",
    )
    up.add_argument(
        "--request-interval",
        type=number(0.0),
        default=DEFAULT_REQUEST_INTERVAL,
        metavar="SECONDS",
        help=f"time between request starts (default: {DEFAULT_REQUEST_INTERVAL}; the site tolerates ~1/s)",
    )
    up.add_argument("--batch-size", type=whole_number(1), default=None, help="huts per transaction (default: 20)")
    up.add_argument("--profile", action="store_true", help="print time per phase and the top functions")
    up.add_argument("--no-progress", action="store_true", help="plain log lines instead of progress bars")
    up.add_argument(
        "--no-dagster-report",
        action="store_true",
        help="do not record the update as a run in Dagster (by default it shows in the UI like a sensor's run)",
    )

    huts = sub.add_parser("huts", help="manage the huts table")
    huts_sub = huts.add_subparsers(dest="huts_command", required=True, metavar="ACTION")
    load = huts_sub.add_parser("load", help="add or update huts (default: the packaged hut-reservation.org catalog)")
    load.add_argument("file", nargs="?", type=Path, help="a CSV: source,source_hut_id,slug,name[,country,...]")
    load.add_argument(
        "--rename",
        action="store_true",
        help="let the CSV change the slug of a hut already stored (by default such a load is refused)",
    )
    huts_sub.add_parser("list", help="list huts with their tier and last check")

    sim = sub.add_parser("simulator", help="serve a local simulation of hut-reservation.org")
    from .simulator import add_arguments as add_simulator_arguments

    add_simulator_arguments(sim)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("migrate", help="apply pending schema migrations")
    db_sub.add_parser("where", help="print where the database is (no password)")
    db_sub.add_parser("stop", help="stop the embedded server")

    _add_optional_commands(sub, command)
    return parser


def _add_optional_commands(sub: Any, command: str | None) -> None:
    """Read-side commands (`show`, `serve`) and Dagster's `dev`, when their modules are present;
    their options only when `command` is theirs (or None)."""
    show = sub.add_parser("show", help="browse stored availability (read-only)")
    serve = sub.add_parser("serve", help="serve the read-only HTTP API")
    dev = sub.add_parser("dev", help="run Dagster (webserver + daemon) on the embedded database")
    try:
        if command in (None, "show"):
            from .browse import add_show_arguments

            add_show_arguments(show)
        if command in (None, "serve"):
            from .api.serve import add_serve_arguments

            add_serve_arguments(serve)
        if command in (None, "dev"):
            from .defs.dev_arguments import add_dev_arguments

            add_dev_arguments(dev)
    except ImportError:
        pass


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named in `argv` (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(words) or "")
    args = parser.parse_args(words)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings()  # every setting checked before any command starts
        status = _dispatch(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's shutdown
        return status
    except (ConfigError, UsageError, DatabaseUnavailableError) as exc:
        print(f"hut-availability: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`show --format json | head`): stop quietly, as `cat` would. What is
        # still buffered must not fail again at exit, so stdout now goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("hut-availability: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "simulator":
        from .simulator import config_from_args, run_simulator

        run_simulator(config_from_args(args), host=args.host, port=args.port)
        return EXIT_OK
    if args.command == "dev":
        from .defs.dev import run_dev

        return run_dev(args, settings)
    if args.command == "db" and args.db_command == "stop":
        from .storage.embedded import stop_embedded_server

        if settings.database_url:
            raise UsageError("DATABASE_URL is set: there is no embedded server to stop")
        print("stopped" if stop_embedded_server(settings.home) else "not running")
        return EXIT_OK

    from .storage.database import open_database
    from .storage.embedded import embedded_server_running

    starts_server = settings.database_url is None and not embedded_server_running(settings.home)
    db = open_database(settings)
    if starts_server:
        print(
            f"hut-availability: started the embedded PostgreSQL in {settings.resolved_home / 'pg'}; it keeps"
            " running for the next commands (stop it with: hut-availability db stop)",
            file=sys.stderr,
        )
    if args.command == "db":
        print(db.describe())
        return EXIT_OK
    if args.command == "huts":
        return _huts(args, db, settings)
    if args.command == "update":
        return _update(args, db, settings)
    if args.command == "show":
        from .browse import run_show

        return run_show(args, db, settings)
    if args.command == "serve":
        from .api import run_serve

        return run_serve(args, db, settings)
    raise UsageError(f"unknown command {args.command}")


def _huts(args: argparse.Namespace, db: Any, settings: Settings) -> int:
    from .storage.huts import HutLoadError, catalog_records, csv_records, load_huts
    from .storage.selection import hut_priorities

    if args.huts_command == "load":
        try:
            records = csv_records(args.file) if args.file else catalog_records()
            with db.connect() as conn:
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
    now = dt.datetime.now(dt.UTC)
    with db.connect() as conn:
        for p in hut_priorities(conn, settings.tiers, now, settings.zone):
            last = p.last_success.isoformat(timespec="seconds") if p.last_success else "never"
            print(f"{p.hut.slug}\t{p.hut.source}:{p.hut.source_hut_id}\t{p.tier.value}\t{last}")
    return EXIT_OK


def select_huts(args: argparse.Namespace, db: Any, settings: Settings, now: dt.datetime) -> list[Any]:
    """The huts an `update` works on: named ones, all, or those due by priority."""
    from .storage.huts import bookable_huts, huts_by_id, huts_by_slug
    from .storage.selection import due_huts

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
    from .engine import StorageError, run_update
    from .providers.hut_reservation import HutReservationService
    from .storage.selection import today_in

    now = dt.datetime.now(dt.UTC)
    huts = select_huts(args, db, settings, now)
    if args.dry_run:
        print(f"would update {len(huts)} hut(s):")
        for hut in huts:
            print(f"  {hut.slug}")
        return EXIT_OK
    if not huts:
        print("no huts are due for an update")
        return EXIT_OK
    batch_size = args.batch_size or settings.batch_size
    progress = _Progress(len(huts), enabled=not args.no_progress and sys.stdout.isatty())
    profiler = cProfile.Profile() if args.profile else None
    provider = HutReservationService(base_url=settings.hrs_base_url, request_interval=args.request_interval)
    on_fetched, on_stored, recorder = progress.fetched, progress.stored, None
    if not args.no_dagster_report:
        # notes for the Dagster record, collected without Dagster: it is imported after the work
        from .refresh_notes import RefreshNotes

        recorder = RefreshNotes(on_fetched=progress.fetched, on_stored=progress.stored)
        on_fetched, on_stored = recorder.on_fetched, recorder.on_stored
    try:
        with progress:
            if profiler:
                profiler.enable()
            report = run_update(
                db,
                provider,
                huts,
                start=today_in(settings.zone, now),
                days=args.days,
                request_interval=args.request_interval,
                batch_size=batch_size,
                on_fetched=on_fetched,
                on_stored=on_stored,
            )
    except StorageError as exc:
        print(f"hut-availability: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if profiler:
            profiler.disable()
        provider.close()
    _print_summary(report)
    if recorder is not None:
        from .defs.reporting import report_update

        run_id = report_update(report, recorder, settings)
        if run_id:
            print(f"recorded in Dagster as run {run_id}")
    if profiler:
        _print_profile(report, profiler)
    if report.failed:
        print(f"{len(report.failed)} hut(s) failed:", file=sys.stderr)
        for outcome in report.failed:
            print(f"  {outcome.hut.slug} ({outcome.hut.source_hut_id}): {outcome.error}", file=sys.stderr)
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


class _Progress:
    """Rich progress bars for fetching and storing on a terminal; plain lines otherwise.

    `fetched` runs on the fetching thread and `stored` on the engine's writer thread. `print` writes
    the text and its newline separately, so two threads printing at once merged lines in a pipe;
    each plain line is written whole, under a lock.
    """

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.done_fetch = 0
        self.done_store = 0
        self._progress: Any = None
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self._progress.start()
            self._fetch_task = self._progress.add_task("fetching", total=self.total)
            self._store_task = self._progress.add_task("storing", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def fetched(self, result: Any) -> None:
        self.done_fetch += 1
        if self._progress is not None:
            self._progress.advance(self._fetch_task)
        else:
            status = "ok" if result.ok else f"FAILED: {result.error}"
            self._line(f"fetched {self.done_fetch}/{self.total} {result.hut.slug}: {status}")

    def stored(self, batch: Any, huts: int) -> None:
        self.done_store += huts
        if self._progress is not None:
            self._progress.advance(self._store_task, huts)
        else:
            t = batch.total()
            self._line(
                f"stored {self.done_store}/{self.total} huts (batch: {t.new} new, {t.changed} changed, "
                f"{t.unchanged} unchanged) in {batch.seconds:.2f} s"
            )


if __name__ == "__main__":
    sys.exit(main())
