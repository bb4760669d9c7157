"""Pure domain rules: day state, hut type and reservation status of a day, the change test."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.domain.bookings import HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.domain.mapping import (
    Service,
    day_state_for,
    day_state_without_total,
    hut_type_for,
    stored_places,
)
from hut_availability_pipeline.domain.states import AvailabilityState, has_changed
from hut_availability_pipeline.providers.hut_reservation.site import service_of

OPEN, CLOSED_TYPE = HutTypeEnum.hut, HutTypeEnum.bivouac
S = Service


@pytest.mark.parametrize(
    "status,expected",
    [("SERVICED", S.serviced), ("UNSERVICED", S.unserviced), ("NOT_SERVICED", S.unserviced),
     ("CLOSED", S.closed), ("HOLIDAY", S.unknown), (None, S.unknown)],
)  # fmt: skip
def test_hut_reservation_status_in_our_words(status, expected):
    assert service_of(status) is expected


@pytest.mark.parametrize(
    "service,expected",
    [(S.serviced, OPEN), (S.unserviced, CLOSED_TYPE), (S.closed, HutTypeEnum.closed), (S.unknown, HutTypeEnum.unknown)],
)  # fmt: skip
def test_hut_type_for(service, expected):
    assert hut_type_for(service, OPEN, CLOSED_TYPE) is expected


@pytest.mark.parametrize(
    "service,free,total,expected",
    [(S.serviced, 3, 40, "bookable"), (S.serviced, 3, None, "bookable"), (S.serviced, 0, 40, "full"),
     (S.serviced, 0, None, "full"),
     # sold out online: real hut-reservation.org answers give freeBeds null, totalSleepingPlaces 0
     (S.serviced, None, 0, "not_bookable_online"), (S.serviced, None, None, "not_bookable_online"),
     (S.serviced, None, 40, "not_bookable_online"), (S.serviced, 0, 0, "not_bookable_online"),
     (S.unserviced, 5, 8, "winter_room"), (S.unserviced, None, None, "winter_room"),
     (S.closed, None, 0, "closed"), (S.unknown, 5, 10, "unknown")],
)  # fmt: skip
def test_day_state_for(service, free, total, expected):
    assert day_state_for(service, free, total) is DayState(expected)


@pytest.mark.parametrize(
    "service,free,expected,places",
    [(S.serviced, 7, "bookable", (7, None)),
     # a 0 of a site without totals is "no place online": never bookable, kept as served
     (S.serviced, 0, "not_bookable_online", (0, None)),
     (S.serviced, None, "not_bookable_online", (None, 0)),
     (S.closed, 0, "closed", (None, 0)), (S.closed, 4, "closed", (None, 0)), (S.unknown, 3, "unknown", (3, None))],
)  # fmt: skip
def test_day_state_without_total(service, free, expected, places):
    state = day_state_without_total(service, free)
    assert state is DayState(expected)
    assert stored_places(state, free, None) == places
    assert state.reservation_status is not ReservationStatusEnum.possible or (free or 0) > 0


def test_no_place_online_served_twice_is_one_state():
    first = day_state_without_total(S.serviced, 0)
    again = day_state_without_total(S.serviced, 0)
    stored = AvailabilityState(*stored_places(first, 0, None), "hut", first.reservation_status.value, first.value)
    assert not has_changed(
        stored, AvailabilityState(*stored_places(again, 0, None), "hut", again.reservation_status.value, again.value)
    )
    opened = day_state_without_total(S.serviced, 1)  # a cancellation: a change like any other
    assert has_changed(stored, AvailabilityState(1, None, "hut", opened.reservation_status.value, opened.value))


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
