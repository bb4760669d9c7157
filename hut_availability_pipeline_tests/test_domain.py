"""Pure domain rules: hut type and reservation status of a day, the change test."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.domain.bookings import HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.domain.mapping import hut_type_for_status, reservation_status_for
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
    "status,free,expected",
    [("SERVICED", 3, "possible"), ("SERVICED", 0, "not_possible"), ("SERVICED", None, "unknown"),
     ("UNSERVICED", 5, "not_online"), ("NOT_SERVICED", 5, "not_online"), ("CLOSED", None, "not_online"),
     ("WHATEVER", 5, "unknown")],
)  # fmt: skip
def test_reservation_status_for(status, free, expected):
    assert reservation_status_for(status, free) is ReservationStatusEnum(expected)


def test_has_changed():
    state = AvailabilityState(free=3, total=40, hut_type="hut", reservation_status="possible")
    assert has_changed(None, state)
    assert not has_changed(state, AvailabilityState(3, 40, "hut", "possible"))
    for other in [AvailabilityState(2, 40, "hut", "possible"), AvailabilityState(3, 41, "hut", "possible"),
                  AvailabilityState(3, 40, "selfhut", "possible"), AvailabilityState(3, 40, "hut", "unknown"),
                  AvailabilityState(None, 40, "hut", "possible")]:  # fmt: skip
        assert has_changed(state, other)
