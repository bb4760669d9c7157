"""Pure domain rules: day state, hut type and reservation status of a day, the change test."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.domain.bookings import HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.domain.mapping import day_state_for, hut_type_for_status
from hut_availability_pipeline.domain.states import AvailabilityState, has_changed

OPEN, CLOSED_TYPE = HutTypeEnum.hut, HutTypeEnum.bivouac


@pytest.mark.parametrize(
    "status,expected",
    [("SERVICED", OPEN), ("UNSERVICED", CLOSED_TYPE), ("NOT_SERVICED", CLOSED_TYPE),
     ("CLOSED", HutTypeEnum.closed), ("HOLIDAY", HutTypeEnum.unknown), (None, HutTypeEnum.unknown)],
)  # fmt: skip
def test_hut_type_for_status(status, expected):
    assert hut_type_for_status(status, OPEN, CLOSED_TYPE) is expected


@pytest.mark.parametrize(
    "status,free,total,expected",
    [("SERVICED", 3, 40, "bookable"), ("SERVICED", 3, None, "bookable"), ("SERVICED", 0, 40, "full"),
     ("SERVICED", 0, None, "full"),
     # sold out online: real answers give freeBeds null, totalSleepingPlaces 0
     ("SERVICED", None, 0, "not_bookable_online"), ("SERVICED", None, None, "not_bookable_online"),
     ("SERVICED", None, 40, "not_bookable_online"), ("SERVICED", 0, 0, "not_bookable_online"),
     ("UNSERVICED", 5, 8, "winter_room"), ("NOT_SERVICED", None, None, "winter_room"),
     ("CLOSED", None, 0, "closed"), ("WHATEVER", 5, 10, "unknown")],
)  # fmt: skip
def test_day_state_for(status, free, total, expected):
    assert day_state_for(status, free, total) is DayState(expected)


@pytest.mark.parametrize(
    "state,reservation,sold_out",
    [("bookable", "possible", False), ("full", "not_possible", True), ("not_bookable_online", "not_possible", True),
     ("winter_room", "not_online", False), ("closed", "not_online", False), ("unknown", "unknown", False)],
)  # fmt: skip
def test_day_state_maps_to_hut_services(state, reservation, sold_out):
    assert DayState(state).reservation_status is ReservationStatusEnum(reservation)
    assert DayState(state).sold_out is sold_out


def test_has_changed():
    state = AvailabilityState(free=3, total=40, hut_type="hut", reservation_status="possible", day_state="bookable")
    assert has_changed(None, state)
    assert not has_changed(state, AvailabilityState(3, 40, "hut", "possible", "bookable"))
    for other in [AvailabilityState(2, 40, "hut", "possible", "bookable"),
                  AvailabilityState(3, 41, "hut", "possible", "bookable"),
                  AvailabilityState(3, 40, "selfhut", "possible", "bookable"),
                  AvailabilityState(3, 40, "hut", "unknown", "bookable"),
                  AvailabilityState(None, 40, "hut", "possible", "bookable"),
                  AvailabilityState(3, 40, "hut", "possible", "unknown")]:  # fmt: skip
        assert has_changed(state, other)


def test_moving_into_and_out_of_not_bookable_online_is_a_change():
    bookable = AvailabilityState(4, 72, "hut", "possible", "bookable")
    sold_out = AvailabilityState(None, 0, "hut", "not_possible", "not_bookable_online")
    assert has_changed(bookable, sold_out)
    assert has_changed(sold_out, bookable)
    assert not has_changed(sold_out, AvailabilityState(None, 0, "hut", "not_possible", "not_bookable_online"))
