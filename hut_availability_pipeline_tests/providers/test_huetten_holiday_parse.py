"""Hütten-Holiday answers to nights and cabins (providers/huetten_holiday/parse.py), from answers
written after the public clients' facts: `date` as `2026-06-05T00:00:00.000000Z`, free places the
sum of `rooms[].places` (negative when overbooked), `totalPlaces == 0` closed. Expected values are
written out here, not taken from the parser."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from hut_availability_pipeline.domain.bookings import HutRef, HutTypeEnum
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.providers.answers import ProviderAnswerError
from hut_availability_pipeline.providers.huetten_holiday.parse import Cabin, Month, parse_cabins, parse_month

from ..conftest import FIXTURES

HH = FIXTURES / "huetten_holiday"
JUNE = Month(2026, 6)
HUT = HutRef(hut_id=7, slug="ottohaus", source="huetten-holiday", source_hut_id="27")


def june() -> list[dict[str, Any]]:
    return json.loads((HH / "get-month-availability_cabin27_2026-06.json").read_text())


def day(date: str, total: int, *places: int) -> dict[str, Any]:
    return {
        "date": f"{date}T00:00:00.000000Z",
        "totalPlaces": total,
        "rooms": [{"room_id": n, "places": p, "paid_places": 0, "booked_places": 0} for n, p in enumerate(places)],
    }


def states(nights: list[Any]) -> dict[str, tuple[DayState, int | None, int | None]]:
    return {n.date.isoformat(): (n.day_state, n.places.free, n.places.total) for n in nights}


def test_a_june_of_a_cabin_maps_day_for_day() -> None:
    nights, rejected = parse_month(june(), HUT, JUNE, dt.date(2026, 6, 1))
    assert rejected == []
    assert len(nights) == 30
    got = states(nights)
    # before the season opens: totalPlaces 0 although the rooms still show 180 places
    assert got["2026-06-01"] == (DayState.closed, None, 0)
    assert got["2026-06-04"] == (DayState.closed, None, 0)
    # 5 June: 120 - 35 + 40 - 5 + 20 places free of 180
    assert got["2026-06-05"] == (DayState.bookable, 140, 180)
    assert got["2026-06-13"] == (DayState.full, 0, 180)
    # overbooked: the rooms sum to -3, stored as 0 free, never negative
    assert got["2026-06-20"] == (DayState.full, 0, 180)
    assert got["2026-06-24"] == (DayState.closed, None, 0)  # a rest day
    assert got["2026-06-30"] == (DayState.bookable, 120 - 90 + 40 - 30 + 20, 180)
    by_date = {n.date: n for n in nights}
    assert by_date[dt.date(2026, 6, 1)].hut_type == HutTypeEnum.closed
    assert by_date[dt.date(2026, 6, 5)].hut_type == HutTypeEnum.hut
    assert not by_date[dt.date(2026, 6, 5)].unattended


def test_days_before_start_and_from_end_on_are_dropped_silently() -> None:
    nights, rejected = parse_month(june(), HUT, JUNE, dt.date(2026, 6, 10), dt.date(2026, 6, 12))
    assert [n.date for n in nights] == [dt.date(2026, 6, 10), dt.date(2026, 6, 11)]
    assert rejected == []


def test_an_empty_answer_is_the_horizon_not_an_error() -> None:
    assert parse_month([], HUT, Month(2027, 9), dt.date(2026, 6, 1)) == ([], [])


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": "180", "rooms": []}, "totalPlaces is not an integer"),
        ({"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": -1, "rooms": []}, "totalPlaces is negative: -1"),
        ({"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": 10**9, "rooms": []}, "implausibly large"),
        ({"date": "2026-06-02T00:00:00.000000Z", "rooms": []}, "totalPlaces is missing"),
        ({"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": 5}, "rooms is missing"),
        ({"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": 5, "rooms": {"a": 1}}, "rooms is not a list"),
        ({"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": 5, "rooms": [3]}, "rooms[0] is not an object"),
        (
            {"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": 5, "rooms": [{"places": 2.5}]},
            "rooms[0].places is not an integer: 2.5",
        ),
        (
            {"date": "2026-06-02T00:00:00.000000Z", "totalPlaces": 5, "rooms": [{"places": True}]},
            "rooms[0].places is not an integer: True",
        ),
        ({"date": "2026-06-02T12:30:00.000000Z", "totalPlaces": 5, "rooms": []}, "no valid 'date'"),
        ({"date": "02.06.2026", "totalPlaces": 5, "rooms": []}, "no valid 'date'"),
        ({"date": "2026-02-30T00:00:00.000000Z", "totalPlaces": 5, "rooms": []}, "no valid 'date'"),
        (
            {"date": "2026-07-01T00:00:00.000000Z", "totalPlaces": 5, "rooms": []},
            "day of 2026-07 in the answer for 2026-06",
        ),
        ("a string", "entry is not an object"),
    ],
)
def test_a_bad_day_is_rejected_alone_with_its_reason(entry: object, reason: str) -> None:
    answer: list[object] = [day("2026-06-01", 10, 4), entry, day("2026-06-03", 10, 2)]
    nights, rejected = parse_month(answer, HUT, JUNE, dt.date(2026, 6, 1))
    assert states(nights) == {
        "2026-06-01": (DayState.bookable, 4, 10),
        "2026-06-03": (DayState.bookable, 2, 10),
    }
    assert len(rejected) == 1
    assert rejected[0].index == 1
    assert reason in rejected[0].reason


def test_a_duplicate_date_keeps_the_first_valid_entry() -> None:
    answer = [day("2026-06-01", 10, 4), day("2026-06-01", 10, 9)]
    nights, rejected = parse_month(answer, HUT, JUNE, dt.date(2026, 6, 1))
    assert states(nights) == {"2026-06-01": (DayState.bookable, 4, 10)}
    assert [(r.index, r.date, r.reason) for r in rejected] == [
        (1, "2026-06-01", "duplicate date: entry #0 already gave it")
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"message": "Server Error"}, "answered a dict, not a JSON array of days"),
        ([1, 2], "none of the 2 entries of the answer is a JSON object"),
        ([{"day": "2026-06-01", "free": 3}], "no day of the answer has the field(s) ['date', 'totalPlaces', 'rooms']"),
        ([{"date": "x", "totalPlaces": 1, "rooms": []}], "no usable day, all 1 day(s) in question were rejected"),
    ],
)
def test_a_whole_answer_problem_fails_the_cabin_naming_it(payload: object, message: str) -> None:
    with pytest.raises(ProviderAnswerError) as caught:
        parse_month(payload, HUT, JUNE, dt.date(2026, 6, 1))
    assert message in str(caught.value)
    assert "cabin 27 (ottohaus), month 2026-06" in str(caught.value)
    assert caught.value.hut_id == "27"


def test_months_count_on_across_the_year() -> None:
    assert Month.of(dt.date(2026, 12, 31)).next() == Month(2027, 1)
    assert str(Month(2026, 6)) == "2026-06"
    assert Month(2026, 6) < Month(2026, 7) < Month(2027, 1)


def test_a_cabin_list_page_gives_usable_cabins_and_names_the_others() -> None:
    page = parse_cabins(json.loads((HH / "get-cabins_page1.json").read_text()), 1)
    assert page.cabins == [
        Cabin("27", "Ottohaus", "ottohaus", "AT", 47.4686, 11.9261, 1955),
        Cabin("24", "Schwarzenberghütte", "schwarzenberghuette", "DE", 47.41, 10.44, 1380),
    ]  # the deleted cabin 31 is left out
    assert page.problems == ["cabin list page 1, entry #3: id is not a positive integer: 'x'"]
    assert page.next_page == 2


def test_the_last_cabin_list_page_has_no_next() -> None:
    page = parse_cabins({"current_page": 2, "last_page": 2, "next_page_url": None, "data": []}, 2)
    assert page == type(page)([], [], None)


def test_a_cabin_list_that_is_not_laravel_pagination_is_an_error() -> None:
    with pytest.raises(ProviderAnswerError, match=r"cabin list page 1: expected an object with a 'data' list"):
        parse_cabins([{"id": 1}], 1)
