"""The simulator's Hütten-Holiday site (simulator/huetten_holiday.py): days from hut-model states,
sessions, the cabin list, its own faults."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import httpx

from hut_availability_pipeline.simulator import FaultConfig, SimulatorConfig, SimulatorServer
from hut_availability_pipeline.simulator.huetten_holiday import hh_day
from hut_availability_pipeline.simulator.model import DayState

ROOMS = ((11, 30), (12, 10))
JUNE_5 = dt.date(2026, 6, 5).toordinal()


def test_a_bookable_day_lists_each_rooms_free_places() -> None:
    state = DayState(JUNE_5, 12, 40, "SERVICED", "AVAILABLE", ((11, 8), (12, 4)))
    assert hh_day(state, ROOMS, 0) == {
        "date": "2026-06-05T00:00:00.000000Z",
        "rooms": [
            {"room_id": 11, "places": 8, "paid_places": 0, "booked_places": 22},
            {"room_id": 12, "places": 4, "paid_places": 0, "booked_places": 6},
        ],
        "totalPlaces": 40,
    }


def test_a_closed_day_has_no_total_but_rooms_still_show_places() -> None:
    day = hh_day(DayState(JUNE_5, None, 0, "CLOSED", "CLOSED", ()), ROOMS, 0)
    assert day["totalPlaces"] == 0
    assert [r["places"] for r in day["rooms"]] == [30, 10]


def test_a_full_day_may_be_overbooked_below_zero() -> None:
    state = DayState(JUNE_5, 0, 40, "SERVICED", "FULL", ((11, 0), (12, 0)))
    assert [r["places"] for r in hh_day(state, ROOMS, 2)["rooms"]] == [-2, 0]
    assert [r["places"] for r in hh_day(state, ROOMS, 0)["rooms"]] == [0, 0]


def test_sessions_tokens_and_faults_of_its_own() -> None:
    with (
        SimulatorServer(SimulatorConfig(seed=3, hh_cabins=3), port=0) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        page = client.get("/get-cabins", params={"page": 1}).json()
        assert [c["id"] for c in page["data"]] == [1, 2, 3] and page["next_page_url"] is None
        client.get("/huts")
        token = httpx.URL("?t=" + client.cookies["XSRF-TOKEN"]).params["t"]  # URL-decoded
        now = server.simulator.now()
        body = {"cabinId": 1, "selectedMonth": {"monthNumber": now.month, "year": now.year}}
        answer = client.post("/cabins/get-month-availability", json=body, headers={"X-XSRF-TOKEN": token})
        assert answer.status_code == 200 and answer.json()[0]["date"].startswith(now.date().isoformat())
        far = {"cabinId": 1, "selectedMonth": {"monthNumber": now.month, "year": now.year + 5}}
        assert client.post("/cabins/get-month-availability", json=far, headers={"X-XSRF-TOKEN": token}).json() == []
        # its faults do not touch hut-reservation.org's
        client.post("/_sim/huetten-holiday/faults", json={"p_5xx": 1.0})
        assert client.get("/_sim/faults").json()["p_5xx"] == 0.0
        assert (
            client.post("/cabins/get-month-availability", json=body, headers={"X-XSRF-TOKEN": token}).status_code >= 500
        )
        hut = server.simulator.hut_ids()[0]
        assert client.get("/api/v1/reservation/getHutAvailability", params={"hutId": hut}).status_code == 200


def test_served_log_has_a_line_per_usable_month_answer(tmp_path: Path) -> None:
    """Well-formed answers and ones with a single broken day ("wrong_types") are logged with the
    values of every day; unusable answers (truncated, renamed) and errors are not."""
    path = tmp_path / "served.jsonl"
    with (
        SimulatorServer(SimulatorConfig(seed=3, hh_cabins=3, served_log=path, speed=0.0), port=0) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        client.get("/huts")
        token = httpx.URL("?t=" + client.cookies["XSRF-TOKEN"]).params["t"]
        now = server.simulator.now()
        body = {"cabinId": 2, "selectedMonth": {"monthNumber": now.month, "year": now.year}}

        def ask() -> httpx.Response:
            return client.post("/cabins/get-month-availability", json=body, headers={"X-XSRF-TOKEN": token})

        answer = ask().json()
        for kinds in (("truncated",), ("renamed",), ("wrong_types",)):
            server.simulator.huetten_holiday.set_faults(FaultConfig(p_malformed=1.0, malformed_kinds=kinds))
            ask()
        server.simulator.huetten_holiday.set_faults(FaultConfig(p_5xx=1.0))
        assert ask().status_code >= 500
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert set(first) == {"source", "hut_id", "served_at", "sim_time", "month", "days"}
    assert (first["source"], first["hut_id"], first["month"]) == ("huetten-holiday", 2, f"{now:%Y-%m}")
    assert first["days"] == [[d["date"][:10], sum(r["places"] for r in d["rooms"]), d["totalPlaces"]] for d in answer]
    assert lines[1]["days"] == first["days"]  # the wrong_types answer: the values before one day was broken


def test_slow_answers_are_slow() -> None:
    with (
        SimulatorServer(SimulatorConfig(seed=3, hh_cabins=1), port=0) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        server.simulator.huetten_holiday.set_faults(FaultConfig(p_slow=1.0, slow_seconds=0.3))
        client.get("/huts")
        token = httpx.URL("?t=" + client.cookies["XSRF-TOKEN"]).params["t"]
        now = server.simulator.now()
        body = {"cabinId": 1, "selectedMonth": {"monthNumber": now.month, "year": now.year}}
        began = time.monotonic()
        answer = client.post("/cabins/get-month-availability", json=body, headers={"X-XSRF-TOKEN": token})
        assert answer.status_code == 200 and time.monotonic() - began >= 0.3
