"""`hut-availability show`: filters, search, formats, a hut-date's history, errors, read-only."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from hut_availability_pipeline import cli
from hut_availability_pipeline.cli.browse import WIDTH, add_show_arguments, run_show
from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.domain.bookings import HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.domain.dates import today_in
from hut_availability_pipeline.formatting import AVAILABILITY_COLUMNS
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, huts_by_slug, load_huts
from hut_availability_pipeline.storage.read_models import LIST_HUTS_COMMAND, UnknownHutError
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import result

SETTINGS = Settings(timezone="Europe/Zurich")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)  # `show` reads the clock: data is placed around it
TODAY = today_in(SETTINGS.zone, NOW)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def add_data(db: Database) -> None:
    """alpha-huette: full tomorrow; bravo: a closed winter room; cabane-c: never checked."""
    with db.connect(autocommit=True) as conn:
        load_huts(
            conn,
            [
                HutRecord("hrs", "1", "alpha-huette", "Alpha Hütte"),
                HutRecord("hrs", "2", "bravo", "Rifugio Bravo"),
                HutRecord("hrs", "3", "cabane-c", "Cabane C"),
            ],
        )
        alpha, bravo = huts_by_slug(conn, ["alpha-huette", "bravo"])
        write_batch(conn, [result(alpha, NOW - 3 * HOUR, [12, 4, 20], start=TODAY)])
        write_batch(conn, [result(alpha, NOW - 2 * HOUR, [12, 0, 20], start=TODAY)])
        write_batch(conn, [result(alpha, NOW - HOUR, [12, 0, 20], start=TODAY)])
        winter_room = {"total": 0, "hut_type": HutTypeEnum.selfhut, "status": ReservationStatusEnum.not_online}
        write_batch(conn, [result(bravo, NOW - HOUR, [0, 0, 0], start=TODAY, **winter_room)])


def show(db: Database, capsys, *argv: str, settings: Settings = SETTINGS) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="show")
    add_show_arguments(parser)
    status = run_show(parser.parse_args(argv), db, settings)
    out = capsys.readouterr()
    return status, out.out, out.err


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_default_view_is_a_table_of_the_next_two_weeks(db, capsys):
    add_data(db)
    status, out, _ = show(db, capsys)
    assert status == 0
    end = TODAY + 13 * DAY
    assert f"Availability {TODAY.isoformat()} .. {end.isoformat()}: 6 hut-dates" in out
    assert "alpha-huette" in out and "bravo" in out and "cabane-c" not in out
    assert "0/40" in out and "100 %" in out and "12/40" in out and "70 %" in out
    assert "0/0" in out and "–" in out  # the winter room: no places, no occupancy


def test_the_tables_fit_100_columns_and_say_their_time_zone(db, capsys):
    long_slug = "magdeburger-huette-rifugio-cremona-alla-stua"  # 44 characters, longer than any real slug
    with db.connect(autocommit=True) as conn:
        load_huts(conn, [HutRecord("huetten-holiday", "9", long_slug, "Magdeburger Hütte (Rif. Cremona alla Stua)")])
        [hut] = huts_by_slug(conn, [long_slug])
        blocked = {"status": ReservationStatusEnum.not_online}
        write_batch(conn, [result(hut, NOW - HOUR, [5, 0, 0], start=TODAY, **blocked)])
    for argv in ((), ("history", long_slug, "today")):
        status, out, _ = show(db, capsys, *argv)
        assert status == 0 and "(times in Europe/Zurich)" in " ".join(out.split())  # the title may wrap
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= WIDTH == 100, "\n" + out
        assert "…" not in out  # nothing cut off: a long cell wraps


def test_csv_with_status_filters(db, capsys):
    add_data(db)
    status, out, _ = show(db, capsys, "--status", "full", "--format", "csv")
    assert status == 0
    rows = csv_rows(out)
    assert [(r["slug"], r["availability_date"], r["free"], r["total"]) for r in rows] == [
        ("alpha-huette", (TODAY + DAY).isoformat(), "0", "40")
    ]
    row = rows[0]
    assert (row["name"], row["occupancy_percent"], row["reservation_status"], row["source"]) == (
        "Alpha Hütte", "100.0", "not_possible", "hrs"
    )  # fmt: skip
    assert dt.datetime.fromisoformat(row["first_checked"]) == NOW - 2 * HOUR
    assert row["last_checked"].endswith(("+02:00", "+01:00"))  # in the configured zone
    _, out, _ = show(db, capsys, "--status", "full", "--status", "high", "--format", "csv")
    assert [(r["free"], r["total"]) for r in csv_rows(out)] == [("12", "40"), ("0", "40")]


def test_json_search_dates_and_other_filters(db, capsys):
    add_data(db)

    def slugs_and_days(*argv: str) -> list[tuple[str, int]]:
        status, out, _ = show(db, capsys, *argv, "--format", "json")
        assert status == 0
        return [(r["slug"], (dt.date.fromisoformat(r["availability_date"]) - TODAY).days) for r in json.loads(out)]

    assert slugs_and_days("--search", "rifugio") == [("bravo", 0), ("bravo", 1), ("bravo", 2)]
    assert slugs_and_days("-s", "ALPHA-H", "--from", "tomorrow", "--to", "tomorrow") == [("alpha-huette", 1)]
    assert slugs_and_days("--from", "today", "--to", TODAY.isoformat()) == [("alpha-huette", 0), ("bravo", 0)]
    assert slugs_and_days("--hut-type", "selfhut", "--reservation-status", "not_online") == [
        ("bravo", 0), ("bravo", 1), ("bravo", 2)
    ]  # fmt: skip
    assert slugs_and_days("--reservation-status", "possible") == [("alpha-huette", 0), ("alpha-huette", 2)]
    assert slugs_and_days("--source", "hrs", "--status", "unknown") == [("bravo", 0), ("bravo", 1), ("bravo", 2)]
    assert slugs_and_days("--source", "elsewhere") == []
    # by day state: what a night is, whatever its numbers say
    assert slugs_and_days("--state", "full") == [("alpha-huette", 1)]
    assert slugs_and_days("--state", "bookable", "--state", "full") == [
        ("alpha-huette", 0), ("alpha-huette", 1), ("alpha-huette", 2)
    ]  # fmt: skip
    assert slugs_and_days("--state", "winter_room") == [("bravo", 0), ("bravo", 1), ("bravo", 2)]
    assert slugs_and_days("--state", "not_bookable_online") == []
    # the web table's party size and sort keys
    assert slugs_and_days("--party", "12") == [("alpha-huette", 0), ("alpha-huette", 2)]
    assert slugs_and_days("--sort", "free", "--desc")[:2] == [("alpha-huette", 2), ("alpha-huette", 0)]
    # options before and after the explicit view name
    assert slugs_and_days("--status", "full", "current", "--search", "alpha") == [("alpha-huette", 1)]
    _, out, _ = show(db, capsys, "current", "--status", "full", "--format", "json")
    record = json.loads(out)[0]
    assert tuple(record) == AVAILABILITY_COLUMNS  # the columns of the web table's CSV
    assert record["day_state"] == "full"
    assert (record["free"], record["total"], record["occupancy_percent"]) == (0, 40, 100.0)


def test_limit_says_when_rows_were_left_out(db, capsys):
    add_data(db)
    status, out, err = show(db, capsys, "--limit", "2", "--format", "csv")
    assert status == 0 and len(csv_rows(out)) == 2
    assert "showing the first 2 of 6 rows" in err
    _, out, err = show(db, capsys, "--limit", "6", "--format", "csv")
    assert len(csv_rows(out)) == 6 and err == ""
    _, out, _ = show(db, capsys, "--limit", "0", "--format", "csv")
    assert len(csv_rows(out)) == 6


def test_empty_results_in_every_format(db, capsys):
    assert show(db, capsys)[1].strip().endswith(": no hut-dates match")
    assert show(db, capsys, "--format", "json")[1] == "[]\n"
    assert show(db, capsys, "--format", "csv")[1] == ",".join(AVAILABILITY_COLUMNS) + "\n"
    assert len(csv_rows(show(db, capsys, "--format", "csv")[1])) == 0


def test_history_of_a_hut_date(db, capsys):
    add_data(db)
    status, out, _ = show(db, capsys, "history", "alpha-huette", "tomorrow", "--format", "json")
    assert status == 0
    states = json.loads(out)
    assert [(s["free"], s["total"], s["is_current"]) for s in states] == [(4, 40, False), (0, 40, True)]
    # the first state was checked once (NOW - 3 h) and replaced at NOW - 2 h: it lasted an hour,
    # though its first and last check are the same moment
    assert [s["duration_seconds"] for s in states] == [3600.0, 3600.0]
    assert [s["confirmed_seconds"] for s in states] == [0.0, 3600.0]
    assert dt.datetime.fromisoformat(states[0]["superseded_at"]) == NOW - 2 * HOUR
    status, out, _ = show(db, capsys, "history", "alpha-huette", (TODAY + DAY).isoformat())
    assert f"History of Alpha Hütte (alpha-huette) on {(TODAY + DAY).isoformat()}: 2 states" in out
    rows = [line for line in out.splitlines() if "/40" in line]
    assert len(rows) == 2 and "4/40" in rows[0] and "0/40" in rows[1] and "current" in rows[1]
    assert all(" 1 h " in row for row in rows) and "0 s" not in out
    status, out, _ = show(db, capsys, "history", "cabane-c", "today", "--format", "csv")
    assert (
        status == 0 and out.startswith("state_id,day_state,free,total,occupancy_percent,") and len(csv_rows(out)) == 0
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--from", "someday"), "bad date 'someday': use YYYY-MM-DD or one of today, tomorrow, weekend"),
        (("--from", "2026-07-10", "--to", "2026-07-01"), "date range is empty"),
        (("history", "alpha-huette", "2026-13-01"), "bad date '2026-13-01'"),
        (("history", "nope", "today"), "no hut with slug 'nope' (the huts there are: hut-availability huts list)"),
    ],
)
def test_bad_input_exits_2_with_a_message(db, capsys, argv, message):
    status, out, err = show(db, capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith("hut-availability show: error: ") and message in err


def test_the_unknown_hut_error_names_a_command_that_exists():
    program, *words = LIST_HUTS_COMMAND.split()
    args = cli.build_parser(words[0]).parse_args(words)  # SystemExit for a command that does not exist
    assert (program, args.command, args.huts_command) == ("hut-availability", "huts", "list")
    assert (
        LIST_HUTS_COMMAND in str(UnknownHutError("nope"))
        and UnknownHutError(3, "a").what == "no hut with id 3 or slug 'a'"
    )


def test_bad_arguments_are_refused_by_the_parser(capsys):
    parser = argparse.ArgumentParser(prog="show")
    add_show_arguments(parser)
    for argv in (["--status", "crowded"], ["--limit", "-1"], ["history", "alpha"], ["--format", "xml"]):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
    assert "invalid choice: 'crowded'" in capsys.readouterr().err


@dataclass(frozen=True)
class ReadOnlyCheckingDatabase(Database):
    """A real database that records, for every connection it hands out, whether it was read-only."""

    read_only: list[str] = field(default_factory=list)

    @contextmanager
    def connect(self, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
        with super().connect(**kwargs) as conn:
            yield conn
            row = conn.execute("SHOW transaction_read_only").fetchone()
            self.read_only.append(row[0] if row else "?")


def test_show_reads_on_read_only_connections(db, capsys):
    add_data(db)
    checking = ReadOnlyCheckingDatabase(db.conninfo)
    assert show(checking, capsys)[0] == 0
    assert show(checking, capsys, "history", "alpha-huette", "today")[0] == 0
    assert checking.read_only == ["on", "on"]


def test_the_main_cli_runs_show(db, capsys, monkeypatch):
    add_data(db)
    params = psycopg.conninfo.conninfo_to_dict(db.conninfo)
    url = f"postgresql://{params['user']}@/{params['dbname']}?host={params['host']}&port={params['port']}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HUT_AVAILABILITY_TIMEZONE", "Europe/Zurich")
    assert cli.main(["show", "--status", "full", "--format", "json"]) == 0
    assert [r["slug"] for r in json.loads(capsys.readouterr().out)] == ["alpha-huette"]
    assert cli.main(["show", "history", "alpha-huette", "tomorrow", "--format", "csv"]) == 0
    assert len(csv_rows(capsys.readouterr().out)) == 2
