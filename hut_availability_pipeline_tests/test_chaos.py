"""The chaos run (short form) passes its replay oracle, and the oracle does catch what it must."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from chaos import oracle
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.writer import write_batch

from .helpers import START, T0, add_huts, result

ROOT = Path(__file__).resolve().parent.parent
MS = dt.timedelta(milliseconds=3)


def test_short_chaos_run_loses_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaos.run", "--short"], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "changes lost:             0" in done.stdout
    assert "phantom changes:          0" in done.stdout
    assert "sigkill 1" in done.stdout and "db_restart 1" in done.stdout


def _setup(db: Database, tmp_path: Path) -> tuple[Path, list[oracle.CommittedCheck]]:
    hut = add_huts(db, 1)[0]
    served = tmp_path / "served.jsonl"
    t1, t2 = T0, T0 + dt.timedelta(hours=1)
    lines = [
        {
            "hut_id": 100,
            "served_at": t.isoformat(),
            "sim_time": t.isoformat(),
            "days": [[START.isoformat(), f, 40, "SERVICED"]],
        }
        for t, f in ((t1, 5), (t2, 4))
    ]
    served.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with db.connect() as conn:
        write_batch(conn, [result(hut, t1 + MS, [5])])
        write_batch(conn, [result(hut, t2 + MS, [4])])
    committed = [
        oracle.CommittedCheck(100, t1 + MS, False, {START: (5, 40, "bookable")}),
        oracle.CommittedCheck(100, t2 + MS, False, {START: (4, 40, "bookable")}),
    ]
    return served, committed


def test_oracle_accepts_a_faithful_history(db: Database, tmp_path: Path) -> None:
    served, committed = _setup(db, tmp_path)
    with db.connect() as conn:
        v = oracle.check(conn, served, committed)
    assert v.ok, oracle.report(v)
    assert (v.changes_served, v.changes_recorded, v.lost, v.phantom) == (1, 1, 0, 0)


def test_oracle_catches_a_lost_change(db: Database, tmp_path: Path) -> None:
    served, committed = _setup(db, tmp_path)
    with db.connect() as conn:
        conn.execute("DELETE FROM hut_availability_history WHERE free = 4")
        conn.execute("UPDATE hut_availability_history SET last_checked = NULL")
        conn.execute("UPDATE hut_availability SET free = 5, first_checked = %s", (T0 + MS,))
        v = oracle.check(conn, served, committed)
    assert v.lost == 1 and not v.ok


def test_oracle_catches_a_phantom_and_an_inconsistency(db: Database, tmp_path: Path) -> None:
    served, committed = _setup(db, tmp_path)
    with db.connect() as conn:
        conn.execute("UPDATE hut_availability_history SET free = 7 WHERE free = 5")
        v = oracle.check(conn, served, committed)
        assert v.phantom == 1 and v.lost == 1
        conn.execute("UPDATE hut_availability_history SET free = 4")  # two equal consecutive states
        v = oracle.check(conn, served, committed)
    assert v.inconsistent == 1
