"""Hütten-Holiday over real HTTP against the simulator (providers/huetten_holiday/service.py):
the anonymous session and its XSRF token, months until the horizon, 419 renewed once then loud,
and the politeness machinery of its own."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from hut_availability_pipeline.domain.bookings import HutRef
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.providers.http import CircuitBreaker, RetryPolicy
from hut_availability_pipeline.providers.huetten_holiday import CabinListError, HuettenHolidayService
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.simulator.faults import FaultConfig


@pytest.fixture
def site() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(seed=5, hh_cabins=25), host="127.0.0.1", port=0) as server:
        yield server


def cabin(cabin_id: int) -> HutRef:
    return HutRef(
        hut_id=100 + cabin_id, slug=f"cabin-{cabin_id}", source="huetten-holiday", source_hut_id=str(cabin_id)
    )


def service(server: SimulatorServer, **kwargs: object) -> HuettenHolidayService:
    kwargs.setdefault("sleep", lambda seconds: None)
    return HuettenHolidayService(server.base_url, request_interval=0, **kwargs)  # type: ignore[arg-type]


def served_days(server: SimulatorServer, cabin_id: int, start: dt.date) -> dict[dt.date, dict[str, object]]:
    """The days the simulator serves for a cabin from `start`, month by month, read through its
    own Python API (not through the service under test)."""
    site = server.simulator.huetten_holiday
    t_hours = server.simulator.state_time() / 3600.0
    out: dict[dt.date, dict[str, object]] = {}
    year, month = start.year, start.month
    for _ in range(30):
        days = site.month_days(cabin_id, year, month, t_hours)
        if not days:
            break
        for d in days:
            out[dt.date.fromisoformat(str(d["date"])[:10])] = d
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def test_a_cabin_is_fetched_month_by_month_with_one_session(site: SimulatorServer) -> None:
    start = site.simulator.now().date()
    with service(site) as hh:
        result = hh.fetch_hut(cabin(3), start)
    assert result.error is None, result.error
    expected = served_days(site, 3, start)
    assert result.nights is not None and len(result.nights) == len(expected) > 0
    months = {(d.year, d.month) for d in expected}
    assert result.requests == 1 + len(months) + 1  # the session, each month, the `[]` beyond the horizon
    assert hh.sessions_opened == 1
    for night in result.nights:
        day = expected[night.date]
        rooms = day["rooms"]
        assert isinstance(rooms, list)
        total = day["totalPlaces"]
        summed = sum(r["places"] for r in rooms)
        if total == 0:
            assert (night.day_state, night.places.free, night.places.total) == (DayState.closed, None, 0)
        elif summed > 0:
            assert (night.day_state, night.places.free, night.places.total) == (DayState.bookable, summed, total)
        else:
            assert (night.day_state, night.places.free, night.places.total) == (DayState.full, 0, total)
    assert result.link == f"{site.base_url}/huts/cabin-3"


def test_days_limit_the_months_asked(site: SimulatorServer) -> None:
    start = dt.date(site.simulator.now().year, site.simulator.now().month, 1) + dt.timedelta(days=3)
    with service(site) as hh:
        result = hh.fetch_hut(cabin(4), max(start, site.simulator.now().date()), days=2)
    assert result.error is None
    assert result.requests == 2  # the session and one month
    assert result.nights is not None and len(result.nights) <= 2


def test_a_post_without_the_token_answers_419_csrf_mismatch(site: SimulatorServer) -> None:
    body = {"cabinId": 1, "selectedMonth": {"monthNumber": 6, "year": 2026}}
    with httpx.Client(base_url=site.base_url) as client:
        answer = client.post("/cabins/get-month-availability", json=body)
        assert answer.status_code == 419
        assert answer.json() == {"message": "CSRF token mismatch."}
        client.get("/huts")
        raw = client.cookies["XSRF-TOKEN"]
        assert "%3D" in raw  # the cookie is URL-encoded: sent as is, the header does not match
        assert (
            client.post("/cabins/get-month-availability", json=body, headers={"X-XSRF-TOKEN": raw}).status_code == 419
        )


def test_an_expired_session_is_renewed_once(site: SimulatorServer) -> None:
    start = site.simulator.now().date()
    site.simulator.huetten_holiday.set_faults(FaultConfig(p_session_expired=0.3))
    with service(site) as hh:
        results = list(hh.iter_bookings([cabin(n) for n in range(1, 9)], start))
    renewed = [r for r in results if r.error is None]
    assert len(renewed) >= 6, [r.error for r in results]
    assert hh.sessions_opened > 1  # some sessions expired and were renewed
    for r in results:
        if r.error is not None:  # expired twice within one hut: said so, naming the hut
            assert "419" in r.error and f"cabin {r.hut.source_hut_id}" in r.error


def test_a_419_right_after_a_new_session_fails_loudly_and_stops_asking(
    site: SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    site.simulator.huetten_holiday.set_faults(FaultConfig(csrf_broken=True))
    with caplog.at_level(logging.ERROR), service(site) as hh:
        first, second = list(hh.iter_bookings([cabin(1), cabin(2)], site.simulator.now().date()))
    assert first.error is not None and "419 (CSRF token mismatch) again right after a new session" in first.error
    assert first.requests == 4  # session, POST 419, new session, POST 419
    assert second.error is not None and second.error.startswith("cabin 2 (cabin-2): not asked")
    assert second.requests == 0
    assert any("session protocol changed" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_an_unknown_cabin_fails_alone(site: SimulatorServer) -> None:
    with service(site) as hh:
        bad, good = list(hh.iter_bookings([cabin(999), cabin(2)], site.simulator.now().date()))
    assert bad.error is not None and "HTTP 404" in bad.error and "cabin 999" in bad.error
    assert "999" in hh.permanent_failures
    assert good.error is None


def test_a_malformed_month_fails_the_cabin_naming_it(site: SimulatorServer) -> None:
    site.simulator.huetten_holiday.set_faults(FaultConfig(p_malformed=1.0, malformed_kinds=("renamed",)))
    with service(site) as hh:
        result = hh.fetch_hut(cabin(2), site.simulator.now().date())
    assert result.error is not None
    assert "cabin 2 (cabin-2), month" in result.error and "the provider's format changed" in result.error


def test_5xx_is_retried_and_repeated_429_opens_its_own_breaker(site: SimulatorServer) -> None:
    site.simulator.huetten_holiday.set_faults(FaultConfig(p_429=1.0))
    breaker = CircuitBreaker(threshold=2, cooldown=30)
    with service(site, breaker=breaker, retry=RetryPolicy(max_attempts=3)) as hh:
        result = hh.fetch_hut(cabin(2), site.simulator.now().date())
    assert result.error is not None and result.error.startswith("blocked: cooling down 30 s")
    assert breaker.state == "open"


def test_the_cabin_list_is_read_page_by_page(site: SimulatorServer) -> None:
    with service(site) as hh:
        cabins = hh.cabins()
    assert [c.cabin_id for c in cabins] == [str(n) for n in range(1, 26)]  # 20 + 5 on two pages
    first = site.simulator.huetten_holiday.model(1).profile
    assert cabins[0].name == first.name.strip() and cabins[0].altitude == first.altitude_m


def test_a_cabin_list_that_is_not_json_names_the_page(site: SimulatorServer) -> None:
    site.simulator.huetten_holiday.set_faults(FaultConfig(broken_huts=frozenset()))
    with httpx.Client() as client:
        client.post(f"{site.base_url}/_sim/huetten-holiday/faults", content=json.dumps({"p_5xx": 1.0}))
    with (
        service(site, retry=RetryPolicy(max_attempts=2)) as hh,
        pytest.raises(CabinListError, match="cabin list page 1"),
    ):
        hh.cabins()
