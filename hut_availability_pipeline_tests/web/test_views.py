"""The pages' pure parts: colour classes of day states, the calendar, the booking curve's geometry,
when a night became full and safe links."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hut_availability_pipeline.storage.read_models import DayAvailability, HutState
from hut_availability_pipeline.web import views
from hut_availability_pipeline.web.security import safe_link

ZURICH = ZoneInfo("Europe/Zurich")
T0 = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def state(free, total=40, day_state="bookable", first=T0, last=None, superseded=None, state_id=1):
    return HutState(state_id, free, total, None, "hut", "possible", day_state, first, last, None, superseded)


def night(date, day_state="bookable", free=10, total=40, steps=80):
    return DayAvailability(date, free, total, 75.0, steps, "high", "possible", "hut", day_state, None, T0, T0)


def test_each_day_state_has_its_colour_class():
    assert views.state_class("bookable", 80) == "state-bookable occ-8"
    assert views.state_class("not_bookable_online", 80) == "state-not_bookable_online"  # no leftover occupancy
    assert views.state_class(None) == "state-none"


def test_calendar_has_a_cell_per_night_from_todays_month_to_the_last():
    today = dt.date(2026, 7, 30)
    months = views.calendar_months(
        [night(dt.date(2026, 7, 31)), night(dt.date(2026, 8, 2))], today, dt.date(2026, 8, 2)
    )
    assert [m.title for m in months] == ["July 2026", "August 2026"]
    july = [c for week in months[0].weeks for c in week if c is not None]
    assert len(july) == 31 and months[0].weeks[0][:2] == [None, None]  # 1 July 2026 is a Wednesday
    assert [c.past for c in july[28:]] == [True, False, False]
    assert july[30].day is not None and july[29].day is None
    assert views.calendar_months([], today, today)[0].title == "July 2026"


def test_booking_curve_steps_through_the_states_and_bands_the_ones_without_numbers():
    states = [
        state(30, first=T0, superseded=T0 + 2 * DAY),
        state(10, first=T0 + 2 * DAY, superseded=T0 + 3 * DAY, state_id=2),
        state(None, 0, "not_bookable_online", first=T0 + 3 * DAY, state_id=3),
    ]
    curve = views.booking_curve(states, T0 + 4 * DAY, ZURICH, width=448, height=240)
    # x: 48 + 388 px per 4 days (97 per day); y: 12 + 200 px × (1 − free/40)
    assert curve.path == "M48.0,62.0 L242.0,62.0 L242.0,162.0 L339.0,162.0"
    assert [p[:2] for p in curve.points] == [(48.0, 62.0), (242.0, 162.0)]
    assert curve.points[0][2] == "2026-07-01 08:00 CEST: 30/40 free"
    assert curve.bands == [(339.0, 436.0, "state-not_bookable_online")]
    assert [label for _, label in curve.y_ticks] == ["0", "20", "40"]
    assert views.booking_curve([], T0, ZURICH).path == ""


def test_became_full_is_the_first_sold_out_state():
    states = [state(5), state(0, day_state="full", first=T0 + DAY), state(None, 0, "not_bookable_online")]
    full = views.became_full(states, dt.date(2026, 7, 12), ZURICH)
    assert full == views.BecameFull(T0 + DAY, 10)
    assert views.became_full([state(5)], dt.date(2026, 7, 12), ZURICH) is None


def test_only_http_links_are_links():
    assert safe_link("https://www.hut-reservation.org/reservation/book-hut/1/wizard") is not None
    assert [safe_link(u) for u in ("javascript:alert(1)", "data:text/html,x", "//evil", "", None, "http://")] == [
        None
    ] * 6
