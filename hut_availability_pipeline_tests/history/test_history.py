"""`history import | export | convert-wide` and `forecast` on a real database, with real TMB
checks (fixtures/tmb, MIT) stored under the existing source `hrs` (the `tmb` source comes with
another branch: the import does not care which source a hut has)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from hut_availability_pipeline.cli import main
from hut_availability_pipeline.storage.database import Database

from ..conftest import FIXTURES, libpq_url

TMB = FIXTURES / "tmb"
AS_OF = "2024-07-05T10:00:00+00:00"


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    monkeypatch.setenv("DATABASE_URL", libpq_url(db))
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    huts = tmp_path / "huts.csv"
    huts.write_text(
        (TMB / "huts.csv").read_text(encoding="utf-8").replace("\ntmb,", "\nhrs,").replace(",lat,lon", ",lat,lon"),
        encoding="utf-8",
    )
    assert main(["huts", "load", str(huts)]) == 0
    return db


def _rows() -> list[dict[str, str]]:
    with gzip.open(TMB / "observations-extract.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        return [{**row, "source": "hrs"} for row in csv.DictReader(handle)]


def _write(path: Path, rows: list[dict[str, str]], *, gz: bool = False) -> Path:
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
        writer = csv.DictWriter(handle, fieldnames=["observed_at", "source", "source_hut_id", "date", "free", "total"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _tables(db: Database) -> tuple[list[tuple], list[tuple]]:
    with db.connect() as conn:
        current = conn.execute(
            "SELECT hut_id, availability_date, free, total, day_state, first_checked, last_checked"
            " FROM hut_availability ORDER BY 1, 2"
        ).fetchall()
        history = conn.execute(
            "SELECT hut_id, availability_date, free, total, first_checked, last_checked"
            " FROM hut_availability_history ORDER BY 1, 2, 5"
        ).fetchall()
    return current, history


def _changes(rows: list[dict[str, str]]) -> int:
    """States the change-only history must hold: one per run of equal values of a hut-night."""
    last: dict[tuple[str, str], str] = {}
    states = 0
    for row in sorted(rows, key=lambda r: r["observed_at"]):
        key = (row["source_hut_id"], row["date"])
        if last.get(key) != row["free"]:
            states += 1
        last[key] = row["free"]
    return states


def test_import_stores_current_state_and_change_only_history(env: Database, tmp_path: Path, capsys) -> None:
    rows = _rows()
    path = _write(tmp_path / "obs.csv.gz", rows, gz=True)
    assert main(["history", "import", str(path)]) == 0
    out = capsys.readouterr().out
    snapshots = len({r["observed_at"] for r in rows})
    assert f"{len(rows)} checks in {snapshots} snapshots of 6 huts" in out
    current, history = _tables(env)
    assert len(current) == 6 * 31  # nights 06-20..07-20
    assert len(history) == _changes(rows)
    # the current state of a night is its last check; first_checked the check that set that value
    last = max((r for r in rows if r["source_hut_id"] == "110727" and r["date"] == "2024-07-20"),
               key=lambda r: r["observed_at"])  # fmt: skip
    with env.connect() as conn:
        free, total, day_state, last_checked = conn.execute(
            "SELECT a.free, a.total, a.day_state, a.last_checked FROM hut_availability a JOIN huts h ON h.id = a.hut_id"
            " WHERE h.source_hut_id = '110727' AND a.availability_date = '2024-07-20'"
        ).fetchone()
    assert (free, total, last_checked) == (int(last["free"]), None, dt.datetime.fromisoformat(last["observed_at"]))
    assert day_state == ("bookable" if free else "full")
    # importing the same file again changes nothing: every check is refused as not newer
    assert main(["history", "import", str(path)]) == 0
    assert f"{len(rows)} refused" in capsys.readouterr().out
    assert _tables(env) == (current, history)


def test_files_in_time_order_extend_the_history_like_one_file(env: Database, db_factory_two, tmp_path: Path) -> None:
    rows = _rows()
    cut = "2024-06-15T08:00:00+00:00"
    early = _write(tmp_path / "early.csv", [r for r in rows if r["observed_at"] <= cut])
    late = _write(tmp_path / "late.csv", [r for r in rows if r["observed_at"] > cut])
    assert main(["history", "import", str(early)]) == 0
    assert main(["history", "import", str(late)]) == 0
    whole = _write(tmp_path / "whole.csv", rows)
    other = db_factory_two(whole)
    assert _tables(env) == _tables(other)


@pytest.fixture
def db_factory_two(embedded_factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A second database with the same huts, into which a file is imported by the CLI."""

    def make(path: Path) -> Database:
        db = embedded_factory.create()
        with monkeypatch.context() as m:
            m.setenv("DATABASE_URL", libpq_url(db))
            assert main(["huts", "load", str(tmp_path / "huts.csv")]) == 0
            assert main(["history", "import", str(path)]) == 0
        return db

    return make


def test_an_older_file_after_a_newer_one_is_refused_not_merged(env: Database, tmp_path: Path, capsys) -> None:
    rows = _rows()
    cut = "2024-06-15T08:00:00+00:00"
    late = _write(tmp_path / "late.csv", [r for r in rows if r["observed_at"] > cut])
    early_rows = [r for r in rows if r["observed_at"] <= cut]
    early = _write(tmp_path / "early.csv", early_rows)
    assert main(["history", "import", str(late)]) == 0
    before = _tables(env)
    capsys.readouterr()
    assert main(["history", "import", str(early)]) == 0
    assert f"{len(early_rows)} refused" in capsys.readouterr().out  # every hut-night was stored newer
    assert _tables(env) == before


def test_a_bad_row_stops_the_file_naming_it_and_stores_nothing(env: Database, tmp_path: Path, capsys) -> None:
    rows = _rows()[:500]
    rows[321] = {**rows[321], "free": "many"}
    path = _write(tmp_path / "bad.csv", rows)
    assert main(["history", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 323: free 'many' is not a whole number" in err  # header + 322 rows before
    assert "nothing of" in err
    assert _tables(env) == ([], [])
    unknown = _write(tmp_path / "unknown.csv", [{**_rows()[0], "source_hut_id": "999999"}])
    assert main(["history", "import", str(unknown)]) == 2
    assert "line 2: no hut of source 'hrs' with id '999999'" in capsys.readouterr().err


def test_export_round_trips_through_import(env: Database, tmp_path: Path, db_factory_two) -> None:
    assert main(["history", "import", str(_write(tmp_path / "obs.csv", _rows()))]) == 0
    exported = tmp_path / "export.csv.gz"
    assert main(["history", "export", str(exported)]) == 0
    assert _tables(db_factory_two(exported)) == _tables(env)


def test_export_parquet(env: Database, tmp_path: Path) -> None:
    import pandas as pd  # reads Parquet with pyarrow (the test extra installs the parquet extra's engine)

    assert main(["history", "import", str(_write(tmp_path / "obs.csv", _rows()[:2000]))]) == 0
    assert main(["history", "export", str(tmp_path / "h.parquet"), "--hut", "chalet-la-grange"]) == 0
    frame = pd.read_parquet(tmp_path / "h.parquet")
    assert list(frame.columns) == ["observed_at", "source", "source_hut_id", "date", "free", "total"]
    assert set(frame["source_hut_id"]) == {"110727"}


def test_convert_wide_snapshots(tmp_path: Path) -> None:
    (tmp_path / "2024-06-08.csv").write_text(
        ",2024-06-07,2024-06-08,2024-06-09\nChalet La Grange,1,2,\nRefuge des Prés,0,0,7\n", encoding="utf-8"
    )
    (tmp_path / "2024-06-09.csv").write_text(",2024-06-09\nChalet La Grange,3\n", encoding="utf-8")
    out = tmp_path / "long.csv"
    args = ["history", "convert-wide", "--huts", str(TMB / "huts.csv"), "-o", str(out)]
    assert main([*args, str(tmp_path / "2024-06-09.csv"), str(tmp_path / "2024-06-08.csv")]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "observed_at,source,source_hut_id,date,free,total",
        "2024-06-08T08:00:00+00:00,tmb,110727,2024-06-08,2,",
        "2024-06-08T08:00:00+00:00,tmb,110727,2024-06-09,,",
        "2024-06-08T08:00:00+00:00,tmb,116702,2024-06-08,0,",
        "2024-06-08T08:00:00+00:00,tmb,116702,2024-06-09,7,",
        "2024-06-09T08:00:00+00:00,tmb,110727,2024-06-09,3,",
    ]


def _forecast(args: list[str], capsys) -> list[dict]:
    assert main(["forecast", "--as-of", AS_OF, "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_forecast_reads_nothing_after_as_of_and_hut_only_filters(env: Database, tmp_path: Path, capsys) -> None:
    rows = _rows()
    seen = _write(tmp_path / "seen.csv", [r for r in rows if r["observed_at"] <= AS_OF])
    assert main(["history", "import", str(seen)]) == 0
    capsys.readouterr()
    before = _forecast([], capsys)
    assert len(before) == 6 * 15 and before[0].keys() >= {"hut", "date", "free_now", "median_free", "p_sold_out"}
    assert (
        main(["history", "import", str(_write(tmp_path / "later.csv", [r for r in rows if r["observed_at"] > AS_OF]))])
        == 0
    )
    capsys.readouterr()
    assert _forecast([], capsys) == before  # later checks stored: the forecast as of T is the same
    one = _forecast(["--hut", "refuge-des-pres", "--from", "2024-07-10", "--to", "2024-07-12"], capsys)
    assert one == [r for r in before if r["hut"] == "refuge-des-pres" and "2024-07-10" <= r["date"] <= "2024-07-12"]
    assert [r["date"] for r in one] == ["2024-07-10", "2024-07-11", "2024-07-12"]


def test_forecast_backtest_prints_the_buckets(env: Database, tmp_path: Path, capsys) -> None:
    assert main(["history", "import", str(_write(tmp_path / "obs.csv", _rows()))]) == 0
    capsys.readouterr()
    assert main(["forecast", "backtest", "--first", "2024-06-25T12:00:00+00:00", "--step", "5"]) == 0
    out = capsys.readouterr().out
    assert "backtest: 5 as-of times" in out
    assert "   1–7 " in out and "59–120      0 | no nights" in out
