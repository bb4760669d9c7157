"""The TMB refuges: the planning answer's mapping (providers/tmb/parse.py, pure) and the service
over real HTTP against the simulator (providers/tmb/service.py): 30 nights from D-15 per call,
only the season asked, a 0 is "no place online", unreadable answers fail that refuge only."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest

from hut_availability_pipeline.domain.bookings import HutRef, ReservationStatusEnum
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.providers.answers import ProviderAnswerError
from hut_availability_pipeline.providers.http import RetryPolicy
from hut_availability_pipeline.providers.tmb import TmbService, parse_planning
from hut_availability_pipeline.providers.tmb.service import windows
from hut_availability_pipeline.providers.tmb.site import planning_url
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer

REFUGE = HutRef(hut_id=7, slug="chalet-les-meandres", source="tmb", source_hut_id="39948")
FIRST = dt.date(2027, 7, 1)


def jsonp(nights: list[object], wrap: str = "({})") -> bytes:
    return wrap.format(json.dumps([{"datemini": "2027-07-01", "planning": nights}])).encode()


def test_planning_url_asks_15_days_after_the_first_night_with_index_aspx_twice() -> None:
    assert planning_url("https://etape-rest.for-system.com/", "39948", FIRST) == (
        "https://etape-rest.for-system.com/index.aspx/index.aspx?ref=json-planning-refuge&q=39948,2027-07-16"
    )


def test_nights_are_counted_from_the_first_entry_with_s_a_number_or_a_string() -> None:
    answer = jsonp([{"d": 0, "s": 12}, {"d": -1, "s": "3"}, {"s": 0}, {"s": 0, "f": 1}, {"s": "0", "f": "0"}])
    nights, rejected = parse_planning(answer, REFUGE, FIRST, FIRST, FIRST + dt.timedelta(days=30))
    assert rejected == []
    got = [(n.date.day, n.day_state.value, n.places.free, n.places.total, n.reservation_status) for n in nights]
    assert got == [
        (1, "bookable", 12, None, ReservationStatusEnum.possible),
        (2, "bookable", 3, None, ReservationStatusEnum.possible),
        (3, "not_bookable_online", 0, None, ReservationStatusEnum.not_possible),  # no place online
        (4, "closed", None, 0, ReservationStatusEnum.not_online),  # f 1: closed
        (5, "not_bookable_online", 0, None, ReservationStatusEnum.not_possible),
    ]


def test_an_unreadable_night_is_rejected_naming_it_and_the_others_kept() -> None:
    answer = jsonp([{"s": 4}, {"s": "complet"}, {"s": 2.5}, {"f": 0}, {"s": 1, "f": 7}, {"s": True}, {"s": 9}])
    nights, rejected = parse_planning(answer, REFUGE, FIRST, FIRST, FIRST + dt.timedelta(days=30))
    assert [(n.date.day, n.places.free) for n in nights] == [(1, 4), (7, 9)]
    assert [(r.date, r.reason) for r in rejected] == [
        ("2027-07-02", "s (free places) is not a whole number: 'complet'"),
        ("2027-07-03", "s (free places) is not a whole number: 2.5"),
        ("2027-07-04", "s (free places) is missing"),
        ("2027-07-05", "f (closed flag) is neither 0 nor 1: 7"),
        ("2027-07-06", "s (free places) is not a whole number: True"),
    ]


def test_only_nights_in_the_asked_range_are_kept() -> None:
    nights, _ = parse_planning(
        jsonp([{"s": k} for k in range(30)]), REFUGE, FIRST, FIRST + dt.timedelta(days=2), FIRST + dt.timedelta(days=5)
    )
    assert [(n.date.day, n.places.free) for n in nights] == [(3, 2), (4, 3), (5, 4)]


@pytest.mark.parametrize(
    "content,problem",
    [(b"[{\"planning\": []}]", "not JSONP"), (b"([{\"planning\": [{\"s\": 1}]}", "not JSONP"),
     (b"(<html>)", "unreadable answer"), (b"([])", "expected a JSON array holding an object"),
     (b"([{\"plan\": []}])", "no 'planning' list"), (b"([{\"planning\": []}])", "lists no night"),
     (b"([{\"planning\": [{\"s\": \"x\"}]}])", "no usable night, all 1 rejected")],
)  # fmt: skip
def test_a_whole_answer_that_cannot_be_read_fails_naming_the_refuge(content: bytes, problem: str) -> None:
    with pytest.raises(ProviderAnswerError) as raised:
        parse_planning(content, REFUGE, FIRST, FIRST, FIRST + dt.timedelta(days=30))
    assert "refuge 39948 (chalet-les-meandres), nights from 2027-07-01" in str(raised.value)
    assert problem in str(raised.value)


def test_a_callback_name_and_a_semicolon_around_the_json_are_accepted() -> None:
    nights, _ = parse_planning(jsonp([{"s": 5}], "cb({});"), REFUGE, FIRST, FIRST, FIRST + dt.timedelta(days=1))
    assert [n.places.free for n in nights] == [5]


def test_a_year_is_13_windows_of_which_only_those_touching_the_season_are_asked() -> None:
    start = dt.date(2026, 12, 7)
    assert len(windows(start, 365, season_only=False)) == 13
    asked = windows(start, 365)
    assert [w.isoformat() for w in asked] == ["2027-05-06", "2027-06-05", "2027-07-05", "2027-08-04", "2027-09-03",
                                               "2027-10-03"]  # fmt: skip


# ------------------------------------------------------------------------------------ over HTTP


@pytest.fixture
def site() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(seed=3), host="127.0.0.1", port=0) as server:
        yield server


def service(server: SimulatorServer, **kwargs: object) -> TmbService:
    kwargs.setdefault("sleep", lambda seconds: None)
    return TmbService(server.base_url, request_interval=0, **kwargs)  # type: ignore[arg-type]


def refuge(source_hut_id: int) -> HutRef:
    return HutRef(hut_id=source_hut_id, slug=f"refuge-{source_hut_id}", source="tmb", source_hut_id=str(source_hut_id))


def test_a_refuge_is_fetched_over_its_season_and_every_night_matches_what_was_served(site: SimulatorServer) -> None:
    sim = site.simulator
    today = sim.now().date()
    refuge_id = sim.tmb.refuge_ids()[0]
    with service(site) as tmb:
        result = tmb.fetch_hut(refuge(refuge_id), today)
    assert result.ok, result.error
    assert result.requests == len(windows(today, 365))
    assert result.link is not None and str(refuge_id) in result.link
    assert result.nights
    for night in result.nights:
        free = sim.tmb.free(refuge_id, night.date, today)
        if free is None:
            assert (night.day_state, night.places.free, night.places.total) == (DayState.closed, None, 0)
        elif free == 0:
            assert (night.day_state, night.places.free, night.places.total) == (DayState.not_bookable_online, 0, None)
        else:
            assert (night.day_state, night.places.free, night.places.total) == (DayState.bookable, free, None)
    assert any(n.day_state is DayState.bookable for n in result.nights)


def test_an_unknown_refuge_and_an_unreadable_answer_fail_that_refuge_only(site: SimulatorServer) -> None:
    ids = site.simulator.tmb.refuge_ids()
    today = site.simulator.now().date()
    httpx.post(f"{site.base_url}/_sim/tmb/faults", json={"p_malformed": 1.0, "malformed_kinds": ["truncated"]})
    with service(site) as tmb:
        broken = tmb.fetch_hut(refuge(ids[0]), today)
    assert not broken.ok and broken.error is not None
    assert f"refuge {ids[0]} (refuge-{ids[0]})" in broken.error and "not JSONP" in broken.error
    httpx.post(f"{site.base_url}/_sim/tmb/faults", json={"reset": True})
    with service(site) as tmb:
        unknown = tmb.fetch_hut(refuge(1), today)
        fine = tmb.fetch_hut(refuge(ids[1]), today)
    assert unknown.error is not None and "refuge 1 (refuge-1)" in unknown.error
    assert fine.ok


def test_5xx_and_429_are_retried_and_a_refuge_of_another_source_is_not_asked(site: SimulatorServer) -> None:
    ids = site.simulator.tmb.refuge_ids()
    today = site.simulator.now().date()
    httpx.post(f"{site.base_url}/_sim/tmb/faults", json={"p_5xx": 0.3, "p_429": 0.2})
    with service(site, retry=RetryPolicy(max_attempts=8)) as tmb:
        results = [tmb.fetch_hut(refuge(i), today) for i in ids[:3]]
        other = tmb.fetch_hut(HutRef(1, "x", "hrs", str(ids[0])), today)
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.requests for r in results) > 3 * len(windows(today, 365))  # some were retried
    assert other.error is not None and "not a TMB refuge" in other.error and other.requests == 0
