"""The chaos run (short form) passes its replay oracle over the four providers, and the oracle does
catch what it must, keeping apart huts of the two sources that share a source hut id."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from chaos import oracle
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import START, T0, result

ROOT = Path(__file__).resolve().parent.parent.parent
MS = dt.timedelta(milliseconds=3)
T1, T2 = T0, T0 + dt.timedelta(hours=1)


SOURCES = ("ffcam", "hrs", "huetten-holiday", "tmb")  # as the report orders them


def _figures(stdout: str, label: str) -> tuple[int, dict[str, int]]:
    """(total, {source: figure}) of one line of the oracle's report."""
    per_source = ", ".join(rf"{re.escape(s)} (\d+)" for s in SOURCES)
    match = re.search(rf"^{re.escape(label)}:\s+(\d+) \({per_source}\)$", stdout, re.M)
    assert match is not None, f"no line {label!r} in:\n{stdout}"
    total, *values = (int(g) for g in match.groups())
    return total, dict(zip(SOURCES, values, strict=True))


def test_short_chaos_run_loses_nothing_of_either_provider() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaos.run", "--short"], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "(5 ids on both)" in out  # the same source hut ids on both sites: the oracle must keep them apart
    for label in ("changes lost", "phantom changes", "inconsistent hut-dates"):
        assert _figures(out, label) == (0, dict.fromkeys(SOURCES, 0))  # each of the four providers
    for label in ("served answers", "changes served", "changes recorded", "committed checks"):
        _, per_source = _figures(out, label)
        assert all(n > 0 for n in per_source.values()), (label, per_source)
    assert "sigkill 1" in out and "db_restart 1" in out
    hh_faults = re.search(r"^faults injected, huetten-holiday: (.*)$", out, re.M)
    assert hh_faults is not None
    assert all(n == "1" for n in re.findall(r"\w+ (\d+)", hh_faults.group(1)))  # every Hütten-Holiday kind once
    assert "session_expired 1" in out and "csrf_broken 1" in out
    assert "huetten-holiday: huts last failed" in out


def _huts(db: Database) -> dict[str, Any]:
    """Hut 100 of hut-reservation.org and cabin 100 of Hütten-Holiday: two huts, one source hut id."""
    with db.connect() as conn:
        load_huts(
            conn,
            [HutRecord("hrs", "100", "hut-a", "Hut A"), HutRecord("huetten-holiday", "100", "cabin-b", "Cabin B")],
        )
        return {h.source: h for h in bookable_huts(conn)}


def _served_line(source: str, at: dt.datetime, free: int) -> dict[str, Any]:
    if source == "hrs":
        days = [[START.isoformat(), free, 40, "SERVICED"]]
        return {"source": source, "hut_id": 100, "served_at": at.isoformat(), "sim_time": at.isoformat(), "days": days}
    return {
        "source": source,
        "hut_id": 100,
        "served_at": at.isoformat(),
        "sim_time": at.isoformat(),
        "month": START.strftime("%Y-%m"),
        "days": [[START.isoformat(), free, 40]],
    }


def _setup(db: Database, tmp_path: Path) -> tuple[Path, list[oracle.CommittedCheck]]:
    """Both huts checked twice: hrs 5 → 4 free, huetten-holiday 9 → 8 free (same id, same date)."""
    huts = _huts(db)
    served = tmp_path / "served.jsonl"
    frees = {"hrs": (5, 4), "huetten-holiday": (9, 8)}
    lines = [_served_line(source, t, f) for source, pair in frees.items() for t, f in zip((T1, T2), pair, strict=True)]
    served.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    committed = []
    with db.connect() as conn:
        for t, index in ((T1, 0), (T2, 1)):
            write_batch(conn, [result(huts[source], t + MS, [frees[source][index]]) for source in frees])
            committed += [
                oracle.CommittedCheck(source, 100, t + MS, False, {START: (frees[source][index], 40, "bookable")})
                for source in frees
            ]
    return served, committed


def test_oracle_accepts_a_faithful_history_of_both_providers(db: Database, tmp_path: Path) -> None:
    served, committed = _setup(db, tmp_path)
    with db.connect() as conn:
        v = oracle.check(conn, served, committed)
    assert v.ok, oracle.report(v)
    for source in ("hrs", "huetten-holiday"):
        figures = v.of(source)
        assert (figures.served_answers, figures.changes_served, figures.changes_recorded) == (2, 1, 1)
        assert (figures.committed_checks, figures.lost, figures.phantom) == (2, 0, 0)
    assert "changes lost:             0 (ffcam 0, hrs 0, huetten-holiday 0, tmb 0)" in oracle.report(v)


def test_oracle_catches_a_lost_change_of_one_provider(db: Database, tmp_path: Path) -> None:
    served, committed = _setup(db, tmp_path)
    hh = _huts(db)["huetten-holiday"].hut_id
    with db.connect() as conn:
        conn.execute("DELETE FROM hut_availability_history WHERE hut_id = %s AND free = 8", (hh,))
        conn.execute("UPDATE hut_availability_history SET last_checked = NULL WHERE hut_id = %s", (hh,))
        conn.execute("UPDATE hut_availability SET free = 9, first_checked = %s WHERE hut_id = %s", (T1 + MS, hh))
        v = oracle.check(conn, served, committed)
    assert (v.of("hrs").lost, v.of("huetten-holiday").lost) == (0, 1) and not v.ok


def test_a_state_served_by_the_other_site_under_the_same_id_is_a_phantom(db: Database, tmp_path: Path) -> None:
    """Stored for cabin 100 what hut 100 of hut-reservation.org served: keyed by source, a phantom."""
    served, committed = _setup(db, tmp_path)
    hh = _huts(db)["huetten-holiday"].hut_id
    with db.connect() as conn:
        conn.execute("UPDATE hut_availability_history SET free = 5 WHERE hut_id = %s AND free = 9", (hh,))
        v = oracle.check(conn, served, committed)
    assert (v.of("hrs").phantom, v.of("huetten-holiday").phantom) == (0, 1)
    assert v.of("huetten-holiday").lost == 1  # the committed check saw 9, the history has 5
    assert "huetten-holiday hut 100" in oracle.report(v)


def test_oracle_catches_a_phantom_and_an_inconsistency(db: Database, tmp_path: Path) -> None:
    served, committed = _setup(db, tmp_path)
    hrs = _huts(db)["hrs"].hut_id
    with db.connect() as conn:
        conn.execute("UPDATE hut_availability_history SET free = 7 WHERE hut_id = %s AND free = 5", (hrs,))
        v = oracle.check(conn, served, committed)
        assert v.of("hrs").phantom == 1 and v.of("hrs").lost == 1 and v.of("huetten-holiday").phantom == 0
        conn.execute("UPDATE hut_availability_history SET free = 4 WHERE hut_id = %s", (hrs,))  # two equal states
        v = oracle.check(conn, served, committed)
    assert (v.of("hrs").inconsistent, v.of("huetten-holiday").inconsistent) == (1, 0)


def test_hutten_holiday_days_are_judged_by_that_sites_rules() -> None:
    assert oracle.served_state_hh(12, 40) == (12, 40, "bookable")
    assert oracle.served_state_hh(-2, 40) == (0, 40, "full")  # overbooked: 0 free, never negative
    assert oracle.served_state_hh(30, 0) == (None, 0, "closed")  # totalPlaces 0: closed, whatever the rooms show


def test_a_late_month_of_a_hutten_holiday_check_is_not_a_phantom(db: Database, tmp_path: Path) -> None:
    """A cabin's check is stored with its first month's receive time, its later months are served
    after it; hut-reservation.org answers a check at once, so a state served 2 s after its receive
    time is a phantom there."""
    huts = _huts(db)
    served = tmp_path / "served.jsonl"
    later = T1 + dt.timedelta(seconds=2)
    lines = [_served_line("huetten-holiday", later, 9), _served_line("hrs", later, 5)]
    served.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with db.connect() as conn:
        write_batch(conn, [result(huts["huetten-holiday"], T1 + MS, [9]), result(huts["hrs"], T1 + MS, [5])])
        v = oracle.check(conn, served, [])
    assert (v.of("hrs").phantom, v.of("huetten-holiday").phantom) == (1, 0), oracle.report(v)
