"""The FFCAM central booking: the availability page's mapping (providers/ffcam/parse.py, pure) and
the service over real HTTP against the simulator (providers/ffcam/service.py): one form POST per
refuge, a page without BK.globalAvailability a failure of that refuge, never zeros."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from hut_availability_pipeline.domain.bookings import HutRef
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.providers.answers import ProviderAnswerError
from hut_availability_pipeline.providers.ffcam import FfcamService, parse_availability_page
from hut_availability_pipeline.providers.http import RetryPolicy
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer

AIGLE = HutRef(hut_id=3, slug="refuge-de-l-aigle", source="ffcam", source_hut_id="85")
START = dt.date(2026, 11, 1)


def page(script: str) -> bytes:
    head = "<html><body><script>var BK = {};</script>"
    return f"{head}<script>BK.minDate='x';\n{script}\n</script></body></html>".encode()


def test_free_places_per_date_are_nights_without_totals_and_a_0_is_no_place_online() -> None:
    answer = page('BK.globalAvailability = {"2026-10-31": 4, "2026-11-01": 0, "2026-11-02": 12, "2026-11-03": "2"};')
    nights, rejected = parse_availability_page(answer, AIGLE, START, START + dt.timedelta(days=365))
    assert rejected == []
    assert [(n.date.day, n.day_state.value, n.places.free, n.places.total) for n in nights] == [
        (1, "not_bookable_online", 0, None), (2, "bookable", 12, None), (3, "bookable", 2, None)
    ]  # fmt: skip


def test_an_unreadable_date_is_rejected_naming_it() -> None:
    answer = page('BK.globalAvailability = {"2026-11-01": "complet", "2026-13-01": 3, "2026-11-02": 5};')
    nights, rejected = parse_availability_page(answer, AIGLE, START, START + dt.timedelta(days=365))
    assert [(n.date.day, n.places.free) for n in nights] == [(2, 5)]
    assert [(r.date, r.reason) for r in rejected] == [
        ("2026-11-01", "free places are not a whole number in range: 'complet'"),
        ("2026-13-01", "the key is not a date (YYYY-MM-DD)"),
    ]


@pytest.mark.parametrize(
    "content,problem",
    [(b"<html><body>Erreur</body></html>", "no BK.globalAvailability script"),
     (page("BK.globalAvailability = {2026: };"), "not a readable JSON object"),
     (page('BK.globalAvailability = {"2026-11-01": "x"};'), "no usable date")],
)  # fmt: skip
def test_a_page_without_a_readable_availability_fails_naming_the_refuge(content: bytes, problem: str) -> None:
    with pytest.raises(ProviderAnswerError) as raised:
        parse_availability_page(content, AIGLE, START, START + dt.timedelta(days=365))
    assert "refuge 85 (refuge-de-l-aigle)" in str(raised.value) and problem in str(raised.value)


@pytest.fixture
def site() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(seed=4), host="127.0.0.1", port=0) as server:
        yield server


def service(server: SimulatorServer) -> FfcamService:
    retry = RetryPolicy(max_attempts=8)
    return FfcamService(server.base_url, request_interval=0, sleep=lambda seconds: None, retry=retry)


def refuge(n: int) -> HutRef:
    return HutRef(hut_id=n, slug=f"ffcam-{n}", source="ffcam", source_hut_id=str(n))


def test_a_refuge_is_one_post_for_its_year_matching_what_was_served(site: SimulatorServer) -> None:
    sim = site.simulator
    today = sim.now().date()
    with service(site) as ffcam:
        result = ffcam.fetch_hut(refuge(85), today)
    assert result.ok, result.error
    assert result.requests == 1 and len(result.nights or []) == 365
    assert result.link == f"{site.base_url}/index.php?structure=BK_STRUCTURE:85"
    for night in result.nights or []:
        free = sim.ffcam.free(85, night.date, today) or 0
        expected = (DayState.bookable, free, None) if free else (DayState.not_bookable_online, 0, None)
        assert (night.day_state, night.places.free, night.places.total) == expected


def test_a_page_without_the_script_fails_that_refuge_never_zeros(site: SimulatorServer) -> None:
    today = site.simulator.now().date()
    httpx.post(f"{site.base_url}/_sim/ffcam/faults", json={"p_malformed": 1.0, "malformed_kinds": ["renamed"]})
    with service(site) as ffcam:
        broken = ffcam.fetch_hut(refuge(86), today)
    assert broken.nights is None and broken.error is not None
    assert "refuge 86 (ffcam-86)" in broken.error and "no BK.globalAvailability script" in broken.error
    httpx.post(f"{site.base_url}/_sim/ffcam/faults", json={"reset": True, "p_5xx": 0.5, "p_429": 0.2})
    with service(site) as ffcam:
        results = [ffcam.fetch_hut(refuge(n), today) for n in (85, 87, 88)]
        unknown = ffcam.fetch_hut(refuge(4000), today)
    assert all(r.ok for r in results), [r.error for r in results]
    assert unknown.error is not None and "refuge 4000 (ffcam-4000)" in unknown.error
