"""The real 2024 TMB snapshots replayed through the TMB provider into PostgreSQL: a real local
HTTP server answers the planning call as the real backend does (JSONP, 30 nights from D-15) with
the counts of one day's snapshot, the engine fetches and stores, then the next day's snapshot is
served. Every change the site showed is stored once, no 0-night is ever bookable, no total made up.

Data: fixtures/tmb_2024 (four refuges, MIT, Copyright (c) 2023 Leon Lan; see its README)."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import gzip
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hut_availability_pipeline.providers.tmb import TmbService
from hut_availability_pipeline.providers.tmb.site import NIGHTS_BEFORE_ASKED, NIGHTS_PER_ANSWER, PLANNING_PATH
from hut_availability_pipeline.refresh.engine import run_update
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts

OBSERVATIONS = Path(__file__).parent.parent / "fixtures" / "tmb_2024" / "observations-4-refuges.csv.gz"
LAST_NIGHT = dt.date(2024, 7, 31)
FIRST_NIGHT = dt.date(2024, 6, 1)

Snapshot = dict[tuple[str, dt.date], int]


def snapshots() -> list[tuple[dt.date, Snapshot]]:
    """The real snapshots in time order: (day observed, {(refuge, night): free})."""
    by_day: dict[dt.date, Snapshot] = collections.defaultdict(dict)
    with gzip.open(OBSERVATIONS, "rt", newline="") as rows:
        for row in csv.DictReader(rows):
            day = dt.datetime.fromisoformat(row["observed_at"]).date()
            by_day[day][(row["source_hut_id"], dt.date.fromisoformat(row["date"]))] = int(row["free"])
    return sorted(by_day.items())


class _Backend(ThreadingHTTPServer):
    """A real HTTP server answering the planning call from `snapshot` (the day being replayed)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.snapshot: Snapshot = {}
        self.requests = 0


class _Planning(BaseHTTPRequestHandler):
    server: _Backend

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query)
        refuge, _, asked = (query.get("q") or [""])[0].partition(",")
        assert split.path == PLANNING_PATH and query.get("ref") == ["json-planning-refuge"], self.path
        first = dt.date.fromisoformat(asked) - dt.timedelta(days=NIGHTS_BEFORE_ASKED)
        self.server.requests += 1
        planning = []
        for i in range(NIGHTS_PER_ANSWER):
            free = self.server.snapshot.get((refuge, first + dt.timedelta(days=i)))
            # a night the snapshot has no count for is answered with a value the parser rejects
            planning.append({"d": i, "s": str(free) if free is not None else "-", "f": 0})
        body = b"(" + json.dumps([{"datemini": first.isoformat(), "planning": planning}]).encode() + b")"
        self.send_response(200)
        self.send_header("Content-Type", "application/javascript")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def backend() -> Iterator[_Backend]:
    server = _Backend(("127.0.0.1", 0), _Planning)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def collapsed(values: list[int]) -> list[int]:
    """The changes of a sequence: each value that differs from the one before."""
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


def test_every_change_of_the_real_2024_snapshots_is_stored_once(db: Database, backend: _Backend) -> None:
    days = snapshots()
    refuges = sorted({refuge for _, snap in days for refuge, _ in snap})
    with db.connect() as conn:
        load_huts(conn, [HutRecord("tmb", r, f"tmb-{r}", f"Refuge {r}") for r in refuges])
        huts = bookable_huts(conn)
    base_url = f"http://127.0.0.1:{backend.server_address[1]}"
    served: dict[tuple[str, dt.date], list[int]] = collections.defaultdict(list)
    failures = 0
    with TmbService(base_url, request_interval=0, sleep=lambda s: None) as service:
        for day, snapshot in days:
            start = max(day, FIRST_NIGHT)
            backend.snapshot = snapshot
            report = run_update(db, service, huts, start=start, days=(LAST_NIGHT - start).days + 1)
            failures += len(report.failed)
            for key, free in snapshot.items():
                if key[1] >= start:
                    served[key].append(free)
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT h.source_hut_id, a.availability_date, a.free, a.total, a.day_state, a.reservation_status"
            " FROM hut_availability_history a JOIN huts h ON h.id = a.hut_id ORDER BY a.first_checked, a.id"
        ).fetchall()
    stored: dict[tuple[str, dt.date], list[int]] = collections.defaultdict(list)
    for refuge, night, free, total, state, status in rows:
        assert total is None, (refuge, night, "a total was made up")
        assert (state, status) == (("bookable", "possible") if free > 0 else ("not_bookable_online", "not_possible"))
        stored[(refuge, night)].append(free)
    expected = {key: collapsed(values) for key, values in served.items()}
    observations = sum(len(v) for v in served.values())
    served_states = sum(len(v) for v in expected.values())
    print(
        f"\nTMB replay: {len(days)} real snapshots, {len(refuges)} refuges, {len(served)} refuge-nights,"
        f" {observations} nights served, {backend.requests} planning calls; served states (first + changes)"
        f" {served_states}, stored states {len(rows)}, failed fetches {failures}"
    )
    assert failures == 0
    assert stored == expected  # every change stored once, in order; nothing else
    assert len(rows) == served_states
