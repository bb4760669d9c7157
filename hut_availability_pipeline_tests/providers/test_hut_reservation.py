"""Tests of the hut-reservation.org provider: mapping of real and broken answers, and the HTTP
politeness (retries, backoff, circuit breaker, pacing) over real HTTP on 127.0.0.1."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import logging
import socket
import threading
import time
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hut_services.core.schema import TotalFallback
from hypothesis import given, settings
from hypothesis import strategies as st

from hut_availability_pipeline.domain.bookings import (
    DayState,
    HutBookingSchema,
    HutRef,
    HutTypeEnum,
    OccupancyStatusEnum,
    RejectedDay,
    ReservationStatusEnum,
)
from hut_availability_pipeline.providers import (
    CircuitBreaker,
    HutReservationService,
    ProviderAnswerError,
    RetryPolicy,
    booking_link,
    hut_ref_for,
    parse_availability,
)
from hut_availability_pipeline.providers.http import Pacer, parse_retry_after
from hut_availability_pipeline.providers.hut_reservation import catalog_hut_ids
from hut_availability_pipeline.providers.hut_reservation.service import _start_date

FIXTURES = Path(__file__).parent.parent / "fixtures"
HUT29 = HutRef(hut_id=29, slug="taellihuette", source="hut-reservation.org", source_hut_id="29")
LINK29 = "https://www.hut-reservation.org/reservation/book-hut/29/wizard"


def load_hut29() -> list[dict]:
    return json.loads((FIXTURES / "getHutAvailability_hut29.json").read_text(encoding="utf-8"))


def day(date: str, free: object = 5, total: object = 10, status: object = "SERVICED", **extra: object) -> dict:
    """One entry as the API writes it."""
    d = dt.date.fromisoformat(date)
    entry: dict[str, object] = {
        "freeBedsPerCategory": {"5": free},
        "freeBeds": free,
        "hutStatus": status,
        "date": f"{date}T00:00:00Z",
        "dateFormatted": d.strftime("%d.%m.%Y"),
        "totalSleepingPlaces": total,
        "percentage": "AVAILABLE",
    }
    entry.update(extra)
    return entry


def days_from(start: dt.date, n: int, **kwargs: object) -> list[dict]:
    return [day((start + dt.timedelta(days=i)).isoformat(), **kwargs) for i in range(n)]


START = dt.date(2026, 7, 19)


# ----------------------------------------------------------------------------- the captured real answer


def test_parse_captured_answer_of_hut29() -> None:
    payload = load_hut29()
    start = dt.date.fromisoformat(payload[0]["date"][:10])
    bookings, rejected = parse_availability(payload, HUT29, start, 365)

    assert rejected == []
    assert len(bookings) == 365
    assert bookings[0].date == dt.date(2026, 7, 19) == start
    assert bookings[-1].date == dt.date(2027, 7, 18)
    # dates are the API's calendar days, in order, unshifted by any time zone
    assert [b.date.isoformat() for b in bookings] == [e["date"][:10] for e in payload[:365]]
    first = bookings[0]
    # the hut-services booking of the night, built when asked for
    booking = first.booking(LINK29)
    assert isinstance(booking, HutBookingSchema)
    assert (booking.places.free, booking.places.total, booking.link) == (2, 2, LINK29)
    assert booking.places is not first.places  # its own copy: a caller may change it
    assert (first.places.free, first.places.total) == (2, 2)
    assert first.places.occupancy_percent == 0.0
    assert first.places.occupancy_status == OccupancyStatusEnum.empty
    assert first.hut_type == HutTypeEnum.hut
    assert first.reservation_status == ReservationStatusEnum.possible
    assert first.unattended is False
    assert booking.link == LINK29 == booking_link(29)


def test_parse_keeps_only_the_requested_window() -> None:
    bookings, rejected = parse_availability(load_hut29(), HUT29, dt.date(2027, 1, 1), 10)
    assert [b.date for b in bookings] == [dt.date(2027, 1, 1) + dt.timedelta(days=i) for i in range(10)]
    assert rejected == []
    # a window that starts before the answer simply has fewer days
    bookings, _ = parse_availability(load_hut29(), HUT29, dt.date(2026, 7, 10), 12)
    assert [b.date for b in bookings] == [dt.date(2026, 7, 19), dt.date(2026, 7, 20), dt.date(2026, 7, 21)]


# ----------------------------------------------------------------------------- mapping rules

T, R, S = HutTypeEnum, ReservationStatusEnum, DayState
HUT_BIVOUAC = HutRef(
    hut_id=7,
    slug="x",
    source="hut-reservation.org",
    source_hut_id="7",
    hut_type_open=HutTypeEnum.hut,
    hut_type_closed=HutTypeEnum.bivouac,
)


@pytest.mark.parametrize(
    ("entry", "free", "total", "hut_type", "reservation", "state", "unattended"),
    [
        (day("2026-07-19", 5, 10, "SERVICED"), 5, 10, T.hut, R.possible, S.bookable, False),
        (day("2026-07-19", 0, 10, "SERVICED"), 0, 10, T.hut, R.not_possible, S.full, False),
        # sold out online (real answers: freeBeds null, freeBedsPerCategory {}, totalSleepingPlaces 0):
        # nothing bookable online, which is neither closed nor unknown, and never rejected
        (day("2026-07-19", None, 0, "SERVICED"), None, 0, T.hut, R.not_possible, S.not_bookable_online, False),
        (day("2026-07-19", None, None, "SERVICED"), None, 0, T.hut, R.not_possible, S.not_bookable_online, False),
        (day("2026-07-19", 0, 0, "SERVICED"), None, 0, T.hut, R.not_possible, S.not_bookable_online, False),
        (day("2026-07-19", 4, 4, "UNSERVICED"), 4, 4, T.bivouac, R.not_online, S.winter_room, True),
        (day("2026-07-19", 4, 4, "NOT_SERVICED"), 4, 4, T.bivouac, R.not_online, S.winter_room, True),
        # unserviced without a published count: free unknown, not rejected
        (day("2026-07-19", None, 4, "UNSERVICED"), None, 4, T.bivouac, R.not_online, S.winter_room, True),
        # CLOSED: no places offered, whatever the counts say (free null: not published; total 0)
        (day("2026-07-19", None, 0, "CLOSED"), None, 0, T.closed, R.not_online, S.closed, True),
        (day("2026-07-19", None, 30, "CLOSED"), None, 0, T.closed, R.not_online, S.closed, True),
        (day("2026-07-19", 3, 30, "CLOSED"), None, 0, T.closed, R.not_online, S.closed, True),
        # unknown status: kept, with unknown type and status
        (day("2026-07-19", 3, 30, "MAINTENANCE"), 3, 30, T.unknown, R.unknown, S.unknown, True),
        # free > total: hut-services raises total to free
        (day("2026-07-19", 6, 5, "SERVICED"), 6, 6, T.hut, R.possible, S.bookable, False),
        # total sometimes null: free stays known, occupancy not computable
        (day("2026-07-19", 6, None, "SERVICED"), 6, None, T.hut, R.possible, S.bookable, False),
    ],
)  # fmt: skip
def test_day_mapping(
    entry: dict,
    free: int | None,
    total: int | None,
    hut_type: HutTypeEnum,
    reservation: ReservationStatusEnum,
    state: DayState,
    unattended: bool,
) -> None:
    bookings, rejected = parse_availability([entry], HUT_BIVOUAC, START, 1)
    assert rejected == []
    [b] = bookings
    assert (b.places.free, b.places.total) == (free, total)
    assert b.hut_type == hut_type
    assert b.reservation_status == reservation
    assert b.day_state == state
    assert b.unattended is unattended


def test_closed_day_has_no_occupancy() -> None:
    [b], _ = parse_availability([day("2026-07-19", None, 30, "CLOSED")], HUT29, START, 1)
    assert b.places.occupancy_percent is None
    assert b.places.occupancy_status == OccupancyStatusEnum.unknown


def test_unknown_status_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        parse_availability([day("2026-07-19", status="WEIRD")] * 1, HUT29, START, 1)
    assert "unknown hutStatus values {'WEIRD': 1}" in caplog.text


@pytest.mark.parametrize(
    ("date", "formatted", "expected"),
    [
        # the first 10 characters are the date, whatever offset or hour follows: never shifted
        ("2026-07-19T00:00:00Z", "19.07.2026", dt.date(2026, 7, 19)),
        ("2026-07-19T23:30:00-05:00", "19.07.2026", dt.date(2026, 7, 19)),
        ("2026-07-19T22:00:00Z", "19.07.2026", dt.date(2026, 7, 19)),
        ("2026-07-19", None, dt.date(2026, 7, 19)),
        # fall back to dateFormatted when date is missing or bad
        (None, "20.07.2026", dt.date(2026, 7, 20)),
        ("19/07/2026", "20.07.2026", dt.date(2026, 7, 20)),
        ("2026-02-30T00:00:00Z", "20.07.2026", dt.date(2026, 7, 20)),
        (20260719, "20.07.2026", dt.date(2026, 7, 20)),
    ],
)
def test_date_is_a_calendar_day(date: object, formatted: str | None, expected: dt.date) -> None:
    entry = day("2026-07-19")
    entry["date"] = date
    entry["dateFormatted"] = formatted
    [b], rejected = parse_availability([entry], HUT29, START, 5)
    assert rejected == []
    assert b.date == expected


# ----------------------------------------------------------------------------- bad days

GOOD = day("2026-07-19")


@pytest.mark.parametrize(
    ("bad", "date", "reason"),
    [
        ("garbage", None, "entry is not an object: 'garbage'"),
        (None, None, "entry is not an object: None"),
        (17, None, "entry is not an object: 17"),
        ([1, 2], None, "entry is not an object: [1, 2]"),
        (
            {k: v for k, v in day("2026-07-20").items() if k != "freeBeds"},
            "2026-07-20",
            "freeBeds is missing",
        ),
        (day("2026-07-20", free=-1), "2026-07-20", "freeBeds is negative: -1"),
        (day("2026-07-20", total=-3), "2026-07-20", "totalSleepingPlaces is negative: -3"),
        (day("2026-07-20", free=True), "2026-07-20", "freeBeds is not an integer: True"),
        (day("2026-07-20", total=False), "2026-07-20", "totalSleepingPlaces is not an integer: False"),
        (day("2026-07-20", free="5"), "2026-07-20", "freeBeds is not an integer: '5'"),
        (day("2026-07-20", total="10"), "2026-07-20", "totalSleepingPlaces is not an integer: '10'"),
        (day("2026-07-20", free=5.0), "2026-07-20", "freeBeds is not an integer: 5.0"),
        (day("2026-07-20", free={"n": 5}), "2026-07-20", "freeBeds is not an integer"),
        (day("2026-07-20", free=10**12), "2026-07-20", "freeBeds is implausibly large"),
        (day("2026-07-20", status=None), "2026-07-20", "hutStatus is null"),
        (
            {k: v for k, v in day("2026-07-20").items() if k != "hutStatus"},
            "2026-07-20",
            "hutStatus is missing",
        ),
        (day("2026-07-20", status=3), "2026-07-20", "hutStatus is not a string: 3"),
        ({**day("2026-07-20"), "date": "soon", "dateFormatted": "later"}, "soon", "no valid 'date'"),
        ({**day("2026-07-20"), "date": None, "dateFormatted": None}, None, "no valid 'date'"),
        # duplicate date: the first valid entry wins, the later one is reported
        (day("2026-07-19", free=1), "2026-07-19", "duplicate date: entry #0 already gave it"),
    ],
)
def test_bad_day_is_rejected_with_its_reason(bad: object, date: str | None, reason: str) -> None:
    bookings, rejected = parse_availability([GOOD, bad, day("2026-07-21")], HUT29, START, 5)
    assert [b.date for b in bookings] == [dt.date(2026, 7, 19), dt.date(2026, 7, 21)]
    assert bookings[0].places.free == 5  # the first entry of a date won
    assert len(rejected) == 1
    assert isinstance(rejected[0], RejectedDay)
    assert rejected[0].index == 1
    assert rejected[0].date == date
    assert reason in rejected[0].reason


def test_duplicate_after_a_bad_first_entry_keeps_the_valid_one() -> None:
    bookings, rejected = parse_availability([day("2026-07-19", free="x"), day("2026-07-19", free=3)], HUT29, START, 1)
    assert [b.places.free for b in bookings] == [3]
    assert [(r.index, r.reason) for r in rejected] == [(0, "freeBeds is not an integer: 'x'")]


@pytest.mark.parametrize("lookalike", [True, 1.0, "1"], ids=repr)
def test_a_count_that_equals_a_valid_one_is_rejected_however_often_the_valid_one_came_first(lookalike: object) -> None:
    """The parser maps each distinct (hutStatus, freeBeds, totalSleepingPlaces) once per answer:
    True == 1 == 1.0 in Python, so equal-looking values must never share the valid day's mapping."""
    payload = [
        day("2026-07-19", free=1, total=5),
        day("2026-07-20", free=lookalike, total=5),
        day("2026-07-21", free=1, total=lookalike),
        day("2026-07-22", free=1, total=5),
    ]
    bookings, rejected = parse_availability(payload, HUT29, START, 4)
    assert [(b.date.day, b.places.free, b.places.total) for b in bookings] == [(19, 1, 5), (22, 1, 5)]
    assert [(r.index, r.reason.split(" is ")[0]) for r in rejected] == [(1, "freeBeds"), (2, "totalSleepingPlaces")]


def test_a_missing_free_count_is_rejected_although_null_is_not_published() -> None:
    missing = {k: v for k, v in day("2026-07-20", free=None, total=0).items() if k != "freeBeds"}
    payload = [day("2026-07-19", free=None, total=0), missing, day("2026-07-21", free=None, total=0)]
    bookings, rejected = parse_availability(payload, HUT29, START, 3)
    assert [(b.date.day, b.day_state) for b in bookings] == [(19, DayState.not_bookable_online)] * 1 + [
        (21, DayState.not_bookable_online)
    ]
    assert [(r.index, r.reason) for r in rejected] == [(1, "freeBeds is missing")]


def test_days_outside_the_window_are_not_checked() -> None:
    bookings, rejected = parse_availability(
        [day("2026-07-18", free="bad"), GOOD, day("2026-07-25", free=-1)], HUT29, START, 3
    )
    assert [b.date for b in bookings] == [START]
    assert rejected == []


# ----------------------------------------------------------------------------- whole-answer errors


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"error": "not found"}, "answered a dict, not a JSON array"),
        (None, "answered a NoneType, not a JSON array"),
        ("<html>", "answered a str, not a JSON array"),
        ([], "empty list"),
        ([1, "x", None], "none of the 3 entries of the answer is a JSON object"),
        (
            [
                {
                    "date": "2026-07-19T00:00:00Z",
                    "availableBeds": 3,
                    "bedCategoriesData": [],
                    "hutStatus": "SERVICED",
                }
            ],
            "old field names ['availableBeds', 'bedCategoriesData']",
        ),
        (
            [{k: v for k, v in day("2026-07-19").items() if k != "hutStatus"}],
            "no day of the answer has the field(s) ['hutStatus']",
        ),
        ([day("2026-07-19", free="5"), day("2026-07-20", free="6")], "no usable day, all 2 day(s)"),
    ],
)
def test_whole_answer_problems_raise(payload: object, message: str) -> None:
    with pytest.raises(ProviderAnswerError) as info:
        parse_availability(payload, HUT29, START, 365)
    assert "hut 29" in str(info.value)
    assert message in str(info.value)
    assert info.value.hut_id == "29"


def test_answer_outside_the_window_is_empty_not_an_error() -> None:
    assert parse_availability([day("2030-01-01")], HUT29, START, 5) == ([], [])


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**13) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
_fields = st.sampled_from(["freeBeds", "totalSleepingPlaces", "hutStatus", "date", "dateFormatted"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            _json_values,
            st.builds(
                lambda base, changes: {**base, **changes},
                st.sampled_from([GOOD, day("2026-07-20", status="CLOSED"), day("2026-07-21", status="UNSERVICED")]),
                st.dictionaries(
                    _fields,
                    _json_values | st.sampled_from(["SERVICED", "CLOSED", "NOT_SERVICED", "2026-07-20"]),
                    max_size=3,
                ),
            ),
        ),
        max_size=8,
    )
)
def test_parse_never_raises_anything_but_provider_answer_error(payload: list[object]) -> None:
    try:
        bookings, rejected = parse_availability(payload, HUT29, START, 5)
    except ProviderAnswerError:
        return
    assert len({b.date for b in bookings}) == len(bookings)
    assert all(START <= b.date < START + dt.timedelta(days=5) for b in bookings)
    assert all(isinstance(r, RejectedDay) for r in rejected)


# ----------------------------------------------------------------------------- a scripted HTTP server


@dataclass
class Reply:
    status: int = 200
    body: object = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    hut_id: str
    path: str
    headers: dict[str, str]
    at: float


class ScriptedServer:
    """Real HTTP on 127.0.0.1: per hut id, a queue of replies; when it runs dry, `default(hut_id)`."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.payload: object = days_from(START, 30)
        self.seen: list[Seen] = []
        self.clock = time.monotonic
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                hut_id = parse_qs(url.query).get("hutId", [""])[0]
                server.seen.append(Seen(hut_id, url.path, dict(self.headers), server.clock()))
                queue = server.scripts.get(hut_id)
                reply = queue.pop(0) if queue else Reply(200, server.payload)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.base_url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def script(self, hut_id: int | str, *replies: Reply | int) -> None:
        """Queue replies for one hut; a bare status answers the default payload (2xx) or an error."""
        self.scripts[str(hut_id)] = [
            r if isinstance(r, Reply) else Reply(r, self.payload if r < 300 else {"error": r}) for r in replies
        ]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


class FakeTime:
    """A clock that advances by every recorded sleep (plus real time), so no test really waits."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._offset = 0.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._offset += seconds

    def clock(self) -> float:
        return time.monotonic() + self._offset


def service_for(server: ScriptedServer, fake: FakeTime, **kwargs: Any) -> HutReservationService:
    kwargs.setdefault("request_interval", 0.0)
    kwargs.setdefault("retry", RetryPolicy(jitter=False))
    return HutReservationService(server.base_url, sleep=fake.sleep, clock=fake.clock, **kwargs)


def ref(n: int) -> HutRef:
    return HutRef(hut_id=n, slug=f"hut-{n}", source="hut-reservation.org", source_hut_id=str(n))


# ----------------------------------------------------------------------------- fetching


def test_a_hut_of_another_source_is_never_asked_for(server: ScriptedServer) -> None:
    """Cabin ids of Hütten-Holiday overlap hut-reservation.org ids: its huts must not be fetched here."""
    cabin = HutRef(hut_id=9, slug="ottohaus", source="huetten-holiday", source_hut_id="27")
    with service_for(server, FakeTime()) as service:
        result = service.fetch_hut(cabin, dt.date(2026, 6, 1))
    assert result.error == (
        "hut 27 (ottohaus) is a huetten-holiday hut, not hut-reservation.org's (ids overlap): not asked;"
        " fetch it with its own provider (providers.registry)"
    )
    assert result.requests == 0 and "27" in service.permanent_failures


def test_fetch_hut_success(server: ScriptedServer) -> None:
    fake = FakeTime()
    before = dt.datetime.now(dt.UTC)
    with service_for(server, fake) as service:
        result = service.fetch_hut(HUT29, START, 10)
    after = dt.datetime.now(dt.UTC)

    assert result.ok, result.error
    assert result.requests == 1
    assert result.received_at.tzinfo is not None
    assert before <= result.received_at <= after
    assert result.seconds >= 0
    assert result.bookings is not None
    assert result.bookings.source_id == 29
    assert result.bookings.start_date == START
    assert result.bookings.days == 10
    assert result.bookings.link == f"{server.base_url}/reservation/book-hut/29/wizard"
    assert len(result.bookings.bookings) == 10
    assert all(isinstance(b, HutBookingSchema) for b in result.bookings.bookings)
    assert fake.sleeps == []
    [seen] = server.seen
    assert (seen.path, seen.hut_id) == ("/api/v1/reservation/getHutAvailability", "29")
    assert seen.headers["User-Agent"].startswith("hut-availability-pipeline/")


def test_fetch_hut_reports_rejected_days(server: ScriptedServer) -> None:
    server.script(29, Reply(200, [GOOD, day("2026-07-20", free="5")]))
    with service_for(server, FakeTime()) as service:
        result = service.fetch_hut(HUT29, START, 10)
    assert result.ok
    assert result.bookings is not None and len(result.bookings.bookings) == 1
    assert [(r.index, r.date) for r in result.rejected_days] == [(1, "2026-07-20")]


def test_retries_403_then_succeeds_with_exponential_backoff(server: ScriptedServer) -> None:
    server.script(29, 403, 403, 200)
    fake = FakeTime()
    with service_for(server, fake) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert result.ok, result.error
    assert result.requests == 3
    assert fake.sleeps == [1.0, 2.0]
    assert len(server.seen) == 3
    assert service.breaker.consecutive_blocks == 0  # the success reset it


def test_backoff_has_full_jitter_within_the_exponential_cap(server: ScriptedServer) -> None:
    server.script(29, 503, 502, 500)
    fake = FakeTime()
    with service_for(server, fake, retry=RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0)) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert result.ok
    assert len(fake.sleeps) == 3
    for sleep, cap in zip(fake.sleeps, [1.0, 2.0, 3.0], strict=True):
        assert 0.0 <= sleep <= cap


def test_gives_up_after_max_attempts(server: ScriptedServer) -> None:
    server.script(29, 503, 503, 503, 503, 200)
    fake = FakeTime()
    with service_for(server, fake) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert not result.ok
    assert result.bookings is None
    assert result.requests == 4
    assert result.error is not None
    assert f"hut 29 (taellihuette): HTTP 503 after 4 attempt(s) asking {server.host}, giving up" in result.error
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_404_is_not_retried(server: ScriptedServer) -> None:
    server.script(29, 404)
    fake = FakeTime()
    with service_for(server, fake) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert result.requests == 1
    assert result.error is not None and result.error.startswith("hut 29 unknown to the provider (HTTP 404")
    assert server.host in result.error
    assert fake.sleeps == []
    assert service.permanent_failures == {"29"}, "callers are told not to retry it"


def test_a_hut_that_failed_for_good_is_forgotten_as_such_when_it_answers(server: ScriptedServer) -> None:
    server.script(29, 404, 200)
    with service_for(server, FakeTime()) as service:
        assert not service.fetch_hut(HUT29, START, 5).ok
        assert service.fetch_hut(HUT29, START, 5).ok
        assert service.permanent_failures == set()


def test_other_4xx_is_not_retried(server: ScriptedServer) -> None:
    server.script(29, 400, 200)
    with service_for(server, FakeTime()) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert result.requests == 1
    assert result.error == f"hut 29 (taellihuette): HTTP 400 from getHutAvailability (not retried; asked {server.host})"


def test_retry_after_is_honored(server: ScriptedServer) -> None:
    server.script(29, Reply(429, {}, {"Retry-After": "7"}), 200)
    fake = FakeTime()
    with service_for(server, fake) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert result.ok
    assert fake.sleeps == [7.0]


def test_retry_after_longer_than_max_delay_gives_up(server: ScriptedServer) -> None:
    server.script(29, Reply(503, {}, {"Retry-After": "3600"}), 200)
    fake = FakeTime()
    with service_for(server, fake) as service:
        result = service.fetch_hut(HUT29, START, 5)
    assert result.requests == 1
    assert result.error is not None and "asks to retry after 3600 s" in result.error
    assert fake.sleeps == []


def test_parse_retry_after_forms() -> None:
    now = dt.datetime(2026, 7, 19, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Sun, 19 Jul 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sun, 19 Jul 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_timeout_is_retried(server: ScriptedServer) -> None:
    server.script(29, Reply(200, [], delay=1.0), Reply(200, days_from(START, 3)))
    fake = FakeTime()
    with service_for(server, fake, timeout=0.2) as service:
        result = service.fetch_hut(HUT29, START, 3)
    assert result.ok, result.error
    assert result.requests == 2
    assert fake.sleeps == [1.0]


def _refused_url() -> str:
    """A URL of a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (_refused_url(), "refuses connections ([Errno 111] Connection refused); check that the site"),
        ("http://nonexistent.invalid", "the name nonexistent.invalid does not resolve"),
    ],
    ids=["refused", "unresolvable"],
)
def test_an_unreachable_site_trips_the_breaker_for_every_hut_at_once(
    url: str, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No retry of the request and no hut after the first asked: all would fail alike."""
    fake = FakeTime()
    breaker = CircuitBreaker(threshold=5, cooldown=60.0)
    with (
        caplog.at_level(logging.WARNING),
        HutReservationService(
            url, request_interval=0, retry=RetryPolicy(jitter=False), sleep=fake.sleep, breaker=breaker
        ) as service,
    ):
        results = list(service.iter_bookings([ref(1), ref(2), ref(3)], START, 3))
    host = url.removeprefix("http://")
    first, *rest = results
    assert first.requests == 1 and first.error is not None
    assert f"hut 1 (hut-1): {host}" in first.error or f"name {host}" in first.error
    assert expected in first.error and f"HRS_BASE_URL ({url})" in first.error
    assert "cooling down 60 s" in first.error
    for result in rest:
        assert result.requests == 0
        assert result.error is not None and result.error.startswith(f"hut {result.hut.source_hut_id} (")
        assert "not asked" in result.error and expected in result.error
    assert fake.sleeps == []
    assert breaker.state == "open" and breaker.cooldowns == 1 and breaker.unreachable is not None
    assert 59 < breaker.unreachable_for() <= 60
    assert caplog.text.count("provider unreachable") == 1
    assert service.permanent_failures == set(), "an unreachable site is not the huts' fault"


def test_after_a_trip_cools_down_one_request_is_tried_and_an_answer_closes_the_breaker(
    server: ScriptedServer,
) -> None:
    fake = FakeTime()
    breaker = CircuitBreaker(cooldown=0.0)
    breaker.trip("127.0.0.1:9 refuses connections")
    with service_for(server, fake, breaker=breaker) as service:
        result = service.fetch_hut(HUT29, START, 3)
    assert result.ok and result.requests == 1
    assert breaker.state == "closed" and breaker.unreachable is None
    assert fake.sleeps == [], "the callers gave up during the cool-down; nothing to wait for now"


def test_non_json_answer_is_an_error_for_that_hut(server: ScriptedServer) -> None:
    server.script(29, Reply(200, b"<html>Request blocked</html>"))
    with service_for(server, FakeTime()) as service:
        result = service.fetch_hut(HUT29, START, 3)
    assert result.requests == 1
    assert result.error is not None and "answer is not valid JSON" in result.error and "<html>" in result.error


def test_format_drift_is_an_error_for_that_hut(server: ScriptedServer) -> None:
    server.script(29, Reply(200, [{"date": "2026-07-19T00:00:00Z", "availableBeds": 3, "hutStatus": "SERVICED"}]))
    with service_for(server, FakeTime()) as service:
        result = service.fetch_hut(HUT29, START, 3)
    assert not result.ok
    assert result.error is not None and "hut 29" in result.error and "old field names" in result.error


def test_bad_source_hut_id_makes_no_request(server: ScriptedServer) -> None:
    bad = HutRef(hut_id=1, slug="odd", source="hut-reservation.org", source_hut_id="abc")
    with service_for(server, FakeTime()) as service:
        result = service.fetch_hut(bad, START, 3)
    assert result.requests == 0
    assert result.error is not None and "not a hut-reservation.org hut id" in result.error
    assert server.seen == []


# ----------------------------------------------------------------------------- circuit breaker


def test_breaker_opens_after_consecutive_blocks_across_huts(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(1, 403, 429)  # two blocks, then gives up (max_attempts=2)
    server.script(2, 403)  # the third consecutive block: opens the breaker
    fake = FakeTime()
    breaker = CircuitBreaker(threshold=3, cooldown=60.0)
    service = service_for(server, fake, retry=RetryPolicy(max_attempts=2, jitter=False), breaker=breaker)
    with service, caplog.at_level(logging.WARNING):
        first = service.fetch_hut(ref(1), START, 3)
        assert first.error is not None and "HTTP 429 after 2 attempt(s)" in first.error
        assert breaker.state == "closed"

        second = service.fetch_hut(ref(2), START, 3)
        assert second.requests == 1
        assert second.error is not None and "hut-reservation.org blocked (HTTP 403)" in second.error
        assert breaker.state == "open"
        assert breaker.cooldowns == 1
        assert "provider blocked: 3 consecutive 403/429, cooling down 60 s" in caplog.text

        third = service.fetch_hut(ref(3), START, 3)  # waits the cool-down first, then succeeds
        assert third.ok
        assert breaker.state == "closed"
        assert breaker.consecutive_blocks == 0
    assert fake.sleeps == [1.0, 60.0]  # one backoff for hut 1, the cool-down before hut 3
    assert len(server.seen) == 4


def test_breaker_half_open_reopens_on_the_next_block(server: ScriptedServer) -> None:
    server.script(1, 403)
    server.script(2, 403)
    fake = FakeTime()
    breaker = CircuitBreaker(threshold=1, cooldown=30.0)
    with service_for(server, fake, breaker=breaker) as service:
        assert "hut-reservation.org blocked" in (service.fetch_hut(ref(1), START, 3).error or "")
        assert "hut-reservation.org blocked" in (service.fetch_hut(ref(2), START, 3).error or "")
        assert breaker.cooldowns == 2
        assert breaker.state == "open"
        assert service.fetch_hut(ref(3), START, 3).ok
    assert fake.sleeps == [30.0, 30.0]


def test_success_resets_the_breaker(server: ScriptedServer) -> None:
    for n in range(1, 6):
        server.script(n, 403, 200)
    fake = FakeTime()
    breaker = CircuitBreaker(threshold=2, cooldown=60.0)
    with service_for(server, fake, breaker=breaker) as service:
        results = [service.fetch_hut(ref(n), START, 3) for n in range(1, 6)]
    assert all(r.ok for r in results)
    assert breaker.cooldowns == 0 and breaker.state == "closed"


# ----------------------------------------------------------------------------- pacing and streaming


def test_iter_bookings_paces_request_starts_and_streams(server: ScriptedServer) -> None:
    fake = FakeTime()
    server.clock = fake.clock
    with service_for(server, fake, request_interval=5.0) as service:
        stream = service.iter_bookings([ref(1), ref(2), ref(3)], START, 3)
        first = next(stream)
        assert first.ok and len(server.seen) == 1  # one hut at a time
        rest = list(stream)
    assert [r.hut.source_hut_id for r in [first, *rest]] == ["1", "2", "3"]
    assert all(r.ok for r in rest)
    # two pacing waits; each tops the time since the previous start up to the interval
    assert len(fake.sleeps) == 2
    for sleep in fake.sleeps:
        assert 4.0 < sleep <= 5.0
    starts = [s.at for s in server.seen]
    assert all(b - a >= 5.0 - 0.05 for a, b in itertools.pairwise(starts))


def test_iter_bookings_interval_override_and_pacing_counts_consumer_time(server: ScriptedServer) -> None:
    fake = FakeTime()
    with service_for(server, fake, request_interval=100.0) as service:
        for result in service.iter_bookings([ref(1), ref(2)], START, 3, request_interval=2.0):
            assert result.ok
            fake.sleep(1.5)  # the consumer stores the hut meanwhile
    pacing = fake.sleeps[1:2] + fake.sleeps[3:]
    assert fake.sleeps[0] == 1.5 and fake.sleeps[2] == 1.5
    assert len(pacing) == 1 and 0.0 < pacing[0] <= 0.5


def test_pacer_alone() -> None:
    fake = FakeTime()
    pacer = Pacer(fake.clock, fake.sleep)
    assert pacer.wait(1.0) == 0.0
    waited = pacer.wait(1.0)
    assert 0.9 < waited <= 1.0
    assert pacer.wait(0.0) == 0.0


# ----------------------------------------------------------------------------- hut-services interface


def test_get_bookings_leaves_out_failing_huts(server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    server.script(30, 404)
    fallback = TotalFallback(standard=40, reduced=8)
    with service_for(server, FakeTime()) as service, caplog.at_level(logging.WARNING):
        result = service.get_bookings(date=START, days=7, source_ids=[29, 30], total_fallback={29: fallback})
    assert list(result) == [29]
    hut = result[29]
    assert hut.source_id == 29 and hut.start_date == START and hut.days == 7
    assert len(hut.bookings) == 7
    first = hut.bookings[0]
    assert isinstance(first, HutBookingSchema) and first.hut_type == HutTypeEnum.hut
    assert first.places.total_fallback == fallback
    assert "hut 30 unknown to the provider (HTTP 404)" in caplog.text
    assert service.support_booking is True


def test_get_bookings_defaults_to_today_in_zurich_and_every_day_served(server: ScriptedServer) -> None:
    today = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Zurich")).date()
    server.payload = days_from(today, 400)
    with service_for(server, FakeTime()) as service:
        result = service.get_bookings(source_ids=["29"])
        limited = service.get_bookings(source_ids=["29"], days=365)
    assert result["29"].start_date == today
    assert result["29"].days == 400
    assert len(result["29"].bookings) == 400
    assert (limited["29"].days, len(limited["29"].bookings)) == (365, 365)


def test_start_date() -> None:
    zurich = zoneinfo.ZoneInfo("Europe/Zurich")
    # 23:30 UTC on 18 July is already 19 July in Zurich
    assert _start_date(dt.datetime(2026, 7, 18, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 7, 19)
    assert _start_date(dt.date(2026, 7, 19)) == dt.date(2026, 7, 19)
    assert _start_date("now") == dt.datetime.now(zurich).date()


def test_base_url_is_given_not_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with HutReservationService("http://127.0.0.1:9/api/v1/") as service:
        assert service.base_url == "http://127.0.0.1:9"
        assert service.api_url == "http://127.0.0.1:9/api/v1"
        assert service.booking_link(HUT29) == "http://127.0.0.1:9/reservation/book-hut/29/wizard"
    # the entry points read HRS_BASE_URL into the settings; the provider itself never looks
    monkeypatch.setenv("HRS_BASE_URL", "http://127.0.0.1:9")
    with HutReservationService() as service:
        assert service.base_url == "https://www.hut-reservation.org"
        assert service.request_interval == 1.0
        assert service.retry == RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=60.0)
        assert (service.breaker.threshold, service.breaker.cooldown) == (5, 60.0)
    assert service._client.is_closed


def test_hut_ref_for_and_catalog() -> None:
    hut = hut_ref_for(29)
    assert (hut.hut_id, hut.source_hut_id, hut.source) == (29, "29", "hut-reservation.org")
    ids = catalog_hut_ids()
    assert len(ids) > 500 and all(isinstance(i, int) for i in ids)


def test_payload_is_not_mutated() -> None:
    payload = load_hut29()[:5]
    before = copy.deepcopy(payload)
    parse_availability(payload, HUT29, START, 5)
    assert payload == before


# ----------------------------------------------------------------------------- the local simulator


@pytest.mark.slow
def test_fetch_three_catalog_huts_from_the_simulator() -> None:
    try:
        from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
    except ImportError as exc:
        pytest.skip(f"the simulator is not available: {exc}")
    huts = [hut_ref_for(i) for i in catalog_hut_ids()[:3]]
    fake = FakeTime()
    with SimulatorServer(SimulatorConfig(seed=1), port=0) as sim:
        with HutReservationService(sim.base_url, request_interval=0.0, sleep=fake.sleep) as service:
            start = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Zurich")).date()
            results = list(service.iter_bookings(huts, start, 30))
    assert [r.hut.source_hut_id for r in results] == [h.source_hut_id for h in huts]
    for result in results:
        assert result.ok, result.error
        assert result.bookings is not None and 0 < len(result.bookings.bookings) <= 30
        types = {b.hut_type for b in result.bookings.bookings if isinstance(b, HutBookingSchema)}
        assert types and HutTypeEnum.unknown not in types


@pytest.mark.slow
def test_malformed_simulator_answers_become_per_hut_errors_or_rejected_days() -> None:
    try:
        from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
        from hut_availability_pipeline.simulator.faults import FaultConfig
    except ImportError as exc:
        pytest.skip(f"the simulator is not available: {exc}")
    huts = [hut_ref_for(i) for i in catalog_hut_ids()[:6]]
    config = SimulatorConfig(seed=3, faults=FaultConfig(p_malformed=1.0))
    with SimulatorServer(config, port=0) as sim:
        with HutReservationService(sim.base_url, request_interval=0.0, sleep=FakeTime().sleep) as service:
            start = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Zurich")).date()
            results = list(service.iter_bookings(huts, start, 365))
    assert len(results) == len(huts)
    for hut, result in zip(huts, results, strict=True):
        assert result.requests == 1  # a bad 200 answer is not retried
        if not result.ok:
            assert result.error is not None and result.error.startswith(f"hut {hut.source_hut_id}")
    assert any(not r.ok or r.rejected_days for r in results)
