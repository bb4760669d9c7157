"""Real answers of hut-reservation.org, end to end: real HTTP on 127.0.0.1, the parser, the engine
and the writer, into PostgreSQL.

- Hut 491 (fixtures/real/, MIT, © 2025 Thomas Neuberger; see the README and licence there) stored
  day for day: FULL and NEARLY FULL nights, closed days, dates with a time of day and nanoseconds,
  and a far future of unconfigured placeholder days.
- A replay oracle (hypothesis): any sequence of daily answers built from the real day shapes
  (bookable, full, sold out online, closed, winter room, placeholder; any date written as an
  instant) gives every hut-date exactly the history of the served states, nothing lost and
  nothing invented.

The expected states are written out here from the manual's mapping table (docs/reference/data-model.md),
not taken from the parser.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import groupby
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.refresh.engine import run_update
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts

from .conftest import FIXTURES, DatabaseFactory

REAL = FIXTURES / "real"
HUT_491 = REAL / "getHutAvailability_hut491_2025-06-21.json"
CAPTURED = dt.date(2025, 6, 21)

# (day state, free, total) of a stored night
Stored = tuple[str, int | None, int]


class ReplayServer:
    """getHutAvailability over real HTTP on 127.0.0.1, answering whatever body is set."""

    def __init__(self) -> None:
        self.body = b"[]"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.body
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer()
    yield server
    server.close()


def calendar_day(entry: dict[str, Any]) -> dt.date:
    """The night an entry is about: `dateFormatted` (DD.MM.YYYY) always names it."""
    day, month, year = entry["dateFormatted"].split(".")
    return dt.date(int(year), int(month), int(day))


def expected_state(entry: dict[str, Any]) -> Stored:
    """The manual's mapping table, for the day shapes of real answers."""
    status, free, total = entry["hutStatus"], entry["freeBeds"], entry["totalSleepingPlaces"]
    if status == "CLOSED":
        return ("closed", None, 0)
    if status == "SERVICED":
        if free is None or (free == 0 and total == 0):
            return ("not_bookable_online", None, 0)
        return ("bookable" if free > 0 else "full", free, max(total, free))
    return ("winter_room", free, total if free is None else max(total, free))


def stored_rows(conn: Any) -> dict[dt.date, Stored]:
    rows = conn.execute("SELECT availability_date, day_state, free, total FROM hut_availability").fetchall()
    return {day: (state, free, total) for day, state, free, total in rows}


def add_hut(conn: Any, source_hut_id: str) -> Any:
    load_huts(conn, [HutRecord("hrs", source_hut_id, f"hut-{source_hut_id}", f"Hut {source_hut_id}")])
    [hut] = bookable_huts(conn)
    return hut


def test_hut_491_is_stored_day_for_day(db, replay):
    raw = json.loads(HUT_491.read_text(encoding="utf-8"))
    replay.body = HUT_491.read_bytes()
    with db.connect() as conn:
        hut = add_hut(conn, "491")
    service = HutReservationService(base_url=replay.base_url, request_interval=0)
    report = run_update(db, service, [hut], start=CAPTURED)
    [outcome] = report.outcomes.values()
    assert outcome.error is None and outcome.rejected_days == []
    with db.connect() as conn:
        stored = stored_rows(conn)
        open_states = conn.execute(
            "SELECT count(*) FROM hut_availability_history WHERE last_checked IS NULL"
        ).fetchone()
    # every day the site served, from the capture's day to the end of its 731-day horizon
    assert len(stored) == len(raw) == 731
    assert min(stored) == CAPTURED and max(stored) == dt.date(2027, 6, 21)
    assert stored == {calendar_day(e): expected_state(e) for e in raw}
    assert Counter(state for state, _, _ in stored.values()) == {"closed": 399, "bookable": 318, "full": 14}
    assert open_states == (731,)
    # the awkward days, literally
    assert stored[dt.date(2025, 6, 21)] == ("full", 0, 72)  # the capture's own day (served last)
    assert stored[dt.date(2025, 9, 26)] == ("bookable", 65, 72)  # 2025-09-26T11:59:15.918726763Z
    assert stored[dt.date(2025, 9, 27)] == ("closed", None, 0)  # the autumn closure
    assert stored[dt.date(2026, 10, 31)] == ("bookable", 72, 72)  # 11:59:15.919274861Z: placeholder
    assert stored[dt.date(2027, 6, 9)] == ("bookable", 72, 72)  # 11:59:15.919570Z: six digits


def test_hut_491_days_with_a_time_of_day_are_named_by_date_formatted():
    raw = json.loads(HUT_491.read_text(encoding="utf-8"))
    instants = [e for e in raw if not e["date"].endswith("T00:00:00Z")]
    assert len(instants) == 235
    assert {len(e["date"].split(".")[1]) for e in instants} == {7, 10}  # 6 and 9 digits, plus "Z"


# --------------------------------------------------------------------------------------- replay

START = dt.date(2026, 8, 1)
WINDOW = 4  # nights per answer

# Day shapes of real answers (hutStatus, freeBeds, freeBedsPerCategory, totalSleepingPlaces, percentage)
SHAPES = {
    "bookable": st.integers(1, 72).map(
        lambda free: ("SERVICED", free, {"1862": free}, 72, "NEARLY FULL" if free <= 14 else "AVAILABLE")
    ),
    "full": st.just(("SERVICED", 0, {"1862": 0, "1863": 0}, 72, "FULL")),
    "sold out online": st.just(("SERVICED", None, {}, 0, "FULL")),
    "closed": st.just(("CLOSED", None, {}, 0, "CLOSED")),
    "winter room": st.integers(0, 8).map(lambda free: ("UNSERVICED", free, {"1864": free}, 8, "AVAILABLE")),
    "placeholder": st.just(("SERVICED", 72, {"1862": 50, "1863": 16, "1864": 6}, 72, "AVAILABLE")),
}
day_shape = st.one_of(*SHAPES.values())


def entry(night: dt.date, shape: tuple[Any, ...], instant: bool) -> dict[str, Any]:
    status, free, per_category, total, percentage = shape
    date = f"{night.isoformat()}T11:59:15.919274861Z" if instant else f"{night.isoformat()}T00:00:00Z"
    return {
        "freeBedsPerCategory": per_category,
        "freeBeds": free,
        "hutStatus": status,
        "date": date,
        "dateFormatted": night.strftime("%d.%m.%Y"),
        "totalSleepingPlaces": total,
        "percentage": percentage,
    }


answer = st.lists(st.tuples(day_shape, st.booleans()), min_size=WINDOW, max_size=WINDOW).flatmap(
    lambda days: st.permutations([entry(START + dt.timedelta(days=i), s, t) for i, (s, t) in enumerate(days)])
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(answer, min_size=1, max_size=6))
def test_replay_of_daily_answers_records_exactly_the_served_states(embedded_factory: DatabaseFactory, replay, answers):
    db = embedded_factory.create()
    with db.connect() as conn:
        hut = add_hut(conn, "491")
    service = HutReservationService(base_url=replay.base_url, request_interval=0)
    served: dict[dt.date, list[tuple[dt.datetime, Stored]]] = {}
    for days in answers:
        replay.body = json.dumps(days).encode()
        report = run_update(db, service, [hut], start=START)
        [outcome] = report.outcomes.values()
        assert outcome.error is None and outcome.rejected_days == []
        assert outcome.received_at is not None
        for e in days:
            served.setdefault(calendar_day(e), []).append((outcome.received_at, expected_state(e)))
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT availability_date, day_state, free, total, first_checked, last_checked"
            " FROM hut_availability_history ORDER BY availability_date, first_checked"
        ).fetchall()
        current = stored_rows(conn)
    history = {
        day: [((state, free, total), first, last) for _, state, free, total, first, last in group]
        for day, group in groupby(rows, key=lambda r: r[0])
    }
    assert set(history) == set(served)
    for day, checks in served.items():
        # one history state per run of equal served states, first checked when it was first served,
        # closed at the last check that confirmed it; only the last one is open
        runs = [list(group) for _, group in groupby(checks, key=lambda c: c[1])]
        expected = [(run[0][1], run[0][0], None if i == len(runs) - 1 else run[-1][0]) for i, run in enumerate(runs)]
        assert history[day] == expected, f"{day}: served {checks}"
        assert current[day] == runs[-1][0][1]
