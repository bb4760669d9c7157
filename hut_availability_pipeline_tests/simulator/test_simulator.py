"""Tests of the hut-reservation.org simulator over real HTTP on 127.0.0.1: shapes, day range,
seasons, dynamics under the simulated clock, every fault switch and the served-state log."""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hut_availability_pipeline.simulator import (
    FaultConfig,
    Simulator,
    SimulatorConfig,
    SimulatorServer,
    add_arguments,
    config_from_args,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
AVAILABILITY = "/api/v1/reservation/getHutAvailability"
HUT_INFO = "/api/v1/reservation/hutInfo"
START = dt.datetime(2026, 7, 10, 8, 0, tzinfo=dt.UTC)
HUT = 30  # Zwinglipasshütte: an ordinary serviced hut of the catalog
STATUSES = {"SERVICED", "CLOSED", "UNSERVICED", "NOT_SERVICED"}
PERCENTAGES = {"AVAILABLE", "NEARLY FULL", "FULL", "CLOSED"}


def _config(**kwargs: object) -> SimulatorConfig:
    base: dict[str, object] = {"seed": 7, "start": START, "speed": 0.0}
    base.update(kwargs)
    return SimulatorConfig(**base)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(_config()) as srv:
        yield srv


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        yield c


def _days(client: httpx.Client, hut_id: int = HUT) -> list[dict]:
    response = client.get(AVAILABILITY, params={"hutId": hut_id, "step": "WIZARD"})
    assert response.status_code == 200, response.text[:200]
    return response.json()


def _night(d: dict) -> str:
    """The ISO date of an answer's day: `dateFormatted` names it (`date` may be an instant)."""
    day, month, year = d["dateFormatted"].split(".")
    return f"{year}-{month}-{day}"


def _states(days: list[dict]) -> dict[str, tuple]:
    return {_night(d): (d["freeBeds"], d["totalSleepingPlaces"], d["hutStatus"]) for d in days}


# ---- shapes ------------------------------------------------------------------------------------
def test_availability_has_the_real_keys_and_types(client: httpx.Client) -> None:
    real = json.loads((FIXTURES / "getHutAvailability_hut29.json").read_text())
    days = _days(client)
    assert all(list(d) == list(real[0]) for d in days)
    for d in days:
        assert d["hutStatus"] in STATUSES and d["percentage"] in PERCENTAGES
        assert isinstance(d["totalSleepingPlaces"], int)
        assert all(
            isinstance(k, str) and k.isdigit() and isinstance(v, int) for k, v in d["freeBedsPerCategory"].items()
        )
        if d["hutStatus"] == "CLOSED":
            assert d["freeBeds"] is None and d["percentage"] == "CLOSED"
        elif d["freeBeds"] is None:  # sold out online, as real answers give it
            assert d["hutStatus"] == "SERVICED" and d["freeBedsPerCategory"] == {} and d["totalSleepingPlaces"] == 0
        else:
            assert d["freeBeds"] == sum(d["freeBedsPerCategory"].values())
            assert 0 <= d["freeBeds"] <= d["totalSleepingPlaces"]


def test_hut_info_has_the_real_keys(client: httpx.Client, server: SimulatorServer) -> None:
    real = json.loads((FIXTURES / "hutInfo_hut29.json").read_text())
    info = client.get(f"{HUT_INFO}/{HUT}").json()
    assert list(info) == list(real)
    real_cat = real["hutBedCategories"][0]
    for cat in info["hutBedCategories"]:
        assert list(cat) == list(real_cat)
        assert cat["reservationMode"] in {"ROOM", "UNSERVICED"}
        real_language = list(real_cat["hutBedCategoryLanguageData"][0])
        assert all(list(x) == real_language for x in cat["hutBedCategoryLanguageData"])
    assert info["hutId"] == HUT and info["hutName"] == "Zwinglipasshütte" and info["tenantCode"] == "SAC"
    # the availability categories are categories of the hut
    ids = {str(c["categoryID"]) for c in info["hutBedCategories"]}
    assert all(set(d["freeBedsPerCategory"]) <= ids for d in _days(client))


def test_days_start_today_and_are_contiguous(client: httpx.Client, server: SimulatorServer) -> None:
    for hut_id in server.simulator.hut_ids()[:25]:
        days = _days(client, hut_id)
        assert len(days) == server.simulator.profile(hut_id).horizon_days
        assert 15 <= len(days) <= 731
        dates = [dt.date.fromisoformat(_night(d)) for d in days]
        assert dates[0] == START.date()
        assert all(b - a == dt.timedelta(days=1) for a, b in itertools.pairwise(dates))
        # `date` is midnight, or an instant of the same day with a time and 6 or 9 fractional digits
        for d, night in zip(days, dates, strict=True):
            assert d["date"] == f"{night}T00:00:00Z" or re.fullmatch(
                rf"{night}T11:59:15\.(\d{{6}}|\d{{9}})Z", d["date"]
            )


def test_unknown_hut_answers_404_with_json(client: httpx.Client) -> None:
    for response in (client.get(AVAILABILITY, params={"hutId": 99999}), client.get(f"{HUT_INFO}/99999")):
        assert response.status_code == 404
        assert response.json()["status"] == 404
    assert client.get(AVAILABILITY, params={"hutId": "abc"}).status_code == 400


# ---- dynamics ----------------------------------------------------------------------------------
def test_seasons_summer_serviced_winter_not(client: httpx.Client, server: SimulatorServer) -> None:
    sim = server.simulator
    typical = [
        h
        for h in sim.hut_ids()
        if not sim.profile(h).bivouac and sim.profile(h).horizon_days > 200 and sim.profile(h).configured_days is None
    ][:40]
    for hut_id in typical:
        by_date = {_night(d): d for d in _days(client, hut_id)}
        assert by_date["2026-08-01"]["hutStatus"] == "SERVICED"
        if by_date["2026-08-01"]["freeBeds"] is not None:
            assert by_date["2026-08-01"]["totalSleepingPlaces"] > 0
        winter = by_date["2027-01-15"]
        assert winter["hutStatus"] != "SERVICED"
        if winter["hutStatus"] == "CLOSED":
            assert winter["freeBeds"] is None
    statuses = {d["hutStatus"] for h in typical for d in _days(client, h)}
    assert statuses == STATUSES  # both unserviced spellings appear across huts


def test_advance_changes_states_and_same_time_agrees(client: httpx.Client, server: SimulatorServer) -> None:
    huts = server.simulator.hut_ids()[:30]
    before = {h: _states(_days(client, h)) for h in huts}
    assert before == {h: _states(_days(client, h)) for h in huts}  # same sim time → same answer
    response = client.post("/_sim/advance", params={"hours": 6})
    assert response.status_code == 200
    assert response.json()["sim_time"].startswith("2026-07-10T14:00")
    after = {h: _states(_days(client, h)) for h in huts}
    changed = fewer = more = 0
    for h in huts:
        for date, state in after[h].items():
            old = before[h].get(date)
            if old is not None and old != state:
                changed += 1
                if old[0] is not None and state[0] is not None:
                    fewer += state[0] < old[0]
                    more += state[0] > old[0]
    assert changed > 0 and fewer > 0 and more > 0  # bookings and cancellations
    # a fresh simulator with the same seed at the same sim time serves the same states
    twin = Simulator(_config(start=START + dt.timedelta(hours=6)))
    for h in huts[:5]:
        days = twin.availability(h)
        assert {d.date.isoformat(): (d.free, d.total, d.status) for d in days} == after[h]


def test_next_day_drops_yesterday(server: SimulatorServer, client: httpx.Client) -> None:
    server.simulator.advance(hours=24)
    assert _days(client)[0]["date"] == "2026-07-11T00:00:00Z"
    state = client.get("/_sim/state").json()
    assert state["sim_time"].startswith("2026-07-11T08:00") and state["seed"] == 7
    assert state["faults"]["p_429"] == 0.0


# ---- faults ------------------------------------------------------------------------------------
def test_rate_limit_403_burst(client: httpx.Client, server: SimulatorServer) -> None:
    server.simulator.set_faults(FaultConfig(rate_limit_rps=5, rate_limit_block_seconds=0.0))
    responses = [client.get(AVAILABILITY, params={"hutId": HUT}) for _ in range(15)]
    blocked = [r for r in responses if r.status_code == 403]
    assert blocked and responses[0].status_code == 200
    assert "retry-after" not in blocked[0].headers and "403" in blocked[0].text
    assert blocked[0].headers["content-type"].startswith("text/html")


def test_rate_limit_block_keeps_answering_403(client: httpx.Client, server: SimulatorServer) -> None:
    server.simulator.set_faults(FaultConfig(rate_limit_rps=2, rate_limit_block_seconds=30.0))
    statuses = [client.get(f"{HUT_INFO}/{HUT}").status_code for _ in range(4)]
    assert statuses[-1] == 403
    assert client.get(AVAILABILITY, params={"hutId": 31}).status_code == 403
    assert client.get("/_sim/state").status_code == 200  # control endpoints are never blocked


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (FaultConfig(p_429=1.0), {429}),
        (FaultConfig(p_5xx=1.0), {500, 502, 503, 504}),
        (FaultConfig(unknown_huts=frozenset({HUT})), {404}),
        (FaultConfig(broken_huts=frozenset({HUT})), {500}),
    ],
)
def test_error_faults(client: httpx.Client, server: SimulatorServer, faults: FaultConfig, expected: set) -> None:
    server.simulator.set_faults(faults)
    for _ in range(5):
        assert client.get(AVAILABILITY, params={"hutId": HUT}).status_code in expected
        assert client.get(f"{HUT_INFO}/{HUT}").status_code in expected
    if faults.unknown_huts or faults.broken_huts:
        assert client.get(AVAILABILITY, params={"hutId": 31}).status_code == 200


def test_slow_fault_delays(client: httpx.Client, server: SimulatorServer) -> None:
    server.simulator.set_faults(FaultConfig(p_slow=1.0, slow_seconds=0.3))
    started = time.monotonic()
    assert client.get(AVAILABILITY, params={"hutId": HUT}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_malformed_kinds(client: httpx.Client, server: SimulatorServer) -> None:
    sim = server.simulator
    sim.set_faults(FaultConfig(p_malformed=1.0, malformed_kinds=("truncated",)))
    response = client.get(AVAILABILITY, params={"hutId": HUT})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)

    sim.set_faults(FaultConfig(p_malformed=1.0, malformed_kinds=("renamed",)))
    days = client.get(AVAILABILITY, params={"hutId": HUT}).json()
    assert all("availableBeds" in d and "bedCategoriesData" in d and "freeBeds" not in d for d in days)

    sim.set_faults(FaultConfig(p_malformed=1.0, malformed_kinds=("wrong_types",)))
    days = client.get(AVAILABILITY, params={"hutId": HUT}).json()
    wrong = [
        d
        for d in days
        if isinstance(d["freeBeds"], str)
        or isinstance(d["totalSleepingPlaces"], str)
        or isinstance(d["freeBedsPerCategory"], list)
        or not d["date"].endswith("T00:00:00Z")
    ]
    assert 1 <= len(wrong) <= 5


def test_faults_control_endpoint_and_reproducibility(client: httpx.Client, server: SimulatorServer) -> None:
    response = client.post("/_sim/faults", json={"p_5xx": 0.5, "seed": 3, "broken_huts": [31]})
    assert response.status_code == 200 and response.json()["broken_huts"] == [31]
    assert client.get("/_sim/faults").json()["p_5xx"] == 0.5
    assert server.simulator.faults.p_5xx == 0.5
    first = [client.get(AVAILABILITY, params={"hutId": HUT}).status_code for _ in range(20)]
    assert 200 in first and any(s >= 500 for s in first)
    client.post("/_sim/faults", json={"p_5xx": 0.5})  # re-setting restarts the sequence
    assert [client.get(AVAILABILITY, params={"hutId": HUT}).status_code for _ in range(20)] == first
    assert client.post("/_sim/faults", json={"p_5xx": 2}).status_code == 400
    assert client.post("/_sim/faults", json={"no_such": 1}).status_code == 400
    assert client.post("/_sim/faults", json={"reset": True}).json()["p_5xx"] == 0.0


# ---- served-state log --------------------------------------------------------------------------
def test_served_log_one_line_per_served_answer(tmp_path: Path) -> None:
    path = tmp_path / "served.jsonl"
    faults = FaultConfig(unknown_huts=frozenset({31}), p_malformed=0.0)
    with SimulatorServer(_config(served_log=path, faults=faults)) as srv:
        with httpx.Client(base_url=srv.base_url) as c:
            for hut_id in (HUT, 32, HUT, 31):
                c.get(AVAILABILITY, params={"hutId": hut_id})
            c.get(f"{HUT_INFO}/{HUT}")
            srv.simulator.set_faults(FaultConfig(p_malformed=1.0))
            c.get(AVAILABILITY, params={"hutId": HUT})
            served = c.get(AVAILABILITY, params={"hutId": 33})
        lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [x["hut_id"] for x in lines] == [HUT, 32, HUT]
    first = lines[0]
    assert set(first) == {"source", "hut_id", "served_at", "sim_time", "days"} and first["source"] == "hrs"
    assert dt.datetime.fromisoformat(first["served_at"]).tzinfo is not None
    assert len(first["served_at"].split(".")[1]) >= 6  # microseconds
    assert first["sim_time"].startswith("2026-07-10T08:00:00")
    assert first["days"][0][0] == "2026-07-10" and len(first["days"][0]) == 4
    assert served.status_code == 200


# ---- load and CLI ------------------------------------------------------------------------------
def test_all_huts_answer(client: httpx.Client, server: SimulatorServer) -> None:
    ids = server.simulator.hut_ids()
    assert len(ids) == 567
    answers = {hut_id: _days(client, hut_id) for hut_id in ids}
    sizes = [len(days) for days in answers.values()]
    assert min(sizes) >= 15 and max(sizes) <= 731
    assert min(sizes) < 60 and max(sizes) > 700  # horizons differ per hut, as on the real site
    days = [d for hut_days in answers.values() for d in hut_days]
    sold_out_online = [d for d in days if d["hutStatus"] == "SERVICED" and d["freeBeds"] is None]
    instants = [d for d in days if not d["date"].endswith("T00:00:00Z")]
    placeholders = [d for d in instants if d["hutStatus"] == "SERVICED" and d["freeBeds"] == d["totalSleepingPlaces"]]
    assert len(sold_out_online) > 1000 and len(instants) > 1000 and len(placeholders) > 1000
    # the site's label: NEARLY FULL up to 20 % free (real answers: 14 of 72), AVAILABLE above
    for d in days:
        if d["freeBeds"] and d["totalSleepingPlaces"]:
            nearly = d["freeBeds"] <= 0.2 * d["totalSleepingPlaces"]
            assert d["percentage"] == ("NEARLY FULL" if nearly else "AVAILABLE"), d


def test_nearly_full_nights_move_into_and_out_of_sold_out_online(server: SimulatorServer) -> None:
    """As in a real season: nights with few free places become not bookable online and back."""
    sim = server.simulator
    huts = [h for h in sim.hut_ids() if sim.profile(h).sells_out_online][:60]
    into = back = 0
    previous = {h: _states_of(sim.availability(h)) for h in huts}
    for _ in range(12):
        sim.advance(hours=8)
        for h in huts:
            now = _states_of(sim.availability(h))
            for night, state in now.items():
                old = previous[h].get(night)
                if old is None or old == state:
                    continue
                into += state[0] is None and state[2] == "SERVICED" and old[0] is not None
                back += old[0] is None and old[2] == "SERVICED" and state[0] is not None
            previous[h] = now
    assert into > 20 and back > 20, (into, back)


def _states_of(days: list) -> dict[dt.date, tuple]:
    return {d.date: (d.free, d.total, d.status) for d in days}


def test_cli_options_build_a_config() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = "--port 0 --seed 3 --speed 60 --start 2026-07-01T00:00:00Z --fault-403-rate 4 --fault-429 0.1"
    argv += " --fault-5xx 0.2 --fault-slow 0.05 --fault-malformed 0.01 --unknown-huts 1,2 --broken-huts 3"
    args = parser.parse_args(argv.split())
    cfg = config_from_args(args)
    assert cfg.seed == 3 and cfg.speed == 60 and cfg.start == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert cfg.faults.rate_limit_rps == 4 and cfg.faults.p_429 == 0.1 and cfg.faults.p_5xx == 0.2
    assert cfg.faults.unknown_huts == {1, 2} and cfg.faults.broken_huts == {3}
    assert args.port == 0 and args.host == "127.0.0.1"


def test_a_night_given_places_by_hand_answers_them_even_when_it_was_not_bookable_online() -> None:
    """`simulator free`: a night sold out online (no numbers) gets the places asked for, from then on;
    a night the hut is not serviced is refused."""
    import datetime as dt

    from hut_availability_pipeline.simulator import Simulator, SimulatorConfig
    from hut_availability_pipeline.simulator.catalog import SERVICED

    sim = Simulator(SimulatorConfig(seed=1))
    hut_id, night = next(
        (h, d) for h in sim.hut_ids() for d in sim.availability(h) if d.status == SERVICED and d.total == 0
    )
    model = sim._models[hut_id]
    t_hours = sim.state_time() / 3600.0
    freed = model.free(night.date, 3, t_hours)
    assert (freed.free, freed.total, freed.status, freed.percentage) == (3, 3, SERVICED, "AVAILABLE")
    assert [(d.free, d.total) for d in sim.availability(hut_id) if d.ordinal == night.ordinal] == [(3, 3)]
    other = next(d for d in sim.availability(hut_id) if d.status != SERVICED)
    with pytest.raises(ValueError, match="is not serviced on"):
        model.free(other.date, 1, t_hours)
    assert isinstance(night.date, dt.date)
