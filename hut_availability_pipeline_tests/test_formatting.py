"""The one way the read side writes values for people and spreadsheets (CLI, pages, CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from hut_availability_pipeline import formatting
from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.formatting import AVAILABILITY_COLUMNS, csv_text, duration, local_time, places

ZURICH = ZoneInfo("Europe/Zurich")
SUMMER = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
WINTER = dt.datetime(2026, 1, 1, 6, 0, tzinfo=dt.UTC)


def test_each_day_state_is_shown_as_what_it_is():
    states = ("bookable", "full", "not_bookable_online", "winter_room", "closed", "unknown")
    assert [formatting.state_label(s) for s in states] == [
        "bookable", "full", "not bookable online", "winter room", "closed", "unknown"
    ]  # fmt: skip
    assert formatting.state_label(None) == "not checked" and formatting.state_label("odd") == "odd"
    assert set(formatting.STATE_LABELS) == {s.value for s in DayState}  # every day state has its words


def test_places_and_percent():
    assert (places(3, 40), places(None, None), places(None, 0), places(5, None)) == ("3/40", "–", "?/0", "5/?")
    assert (formatting.percent(69.6), formatting.percent(None)) == ("70 %", "–")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (0, "0 s"), (40.4, "40 s"), (600, "10 min"), (3605, "1 h"), (7500, "2 h 5 min"),
     (3 * 86400 + 4 * 3600, "3 d 4 h"), (3 * 86400 + 59, "3 d")],
)  # fmt: skip
def test_duration_is_its_two_largest_units(seconds, text):
    assert duration(seconds) == text


def test_times_are_in_the_configured_zone_and_say_which():
    assert local_time(SUMMER, ZURICH) == "2026-07-01 08:00 CEST"
    assert local_time(WINTER, ZURICH) == "2026-01-01 07:00 CET"
    assert local_time(SUMMER, ZURICH, label=False) == "2026-07-01 08:00" and local_time(None, ZURICH) == "–"
    assert formatting.iso_local(SUMMER, ZURICH) == "2026-07-01T08:00:00+02:00"
    assert formatting.iso_local(SUMMER, ZoneInfo("America/New_York")) == "2026-07-01T02:00:00-04:00"


def test_csv_quotes_and_keeps_formulas_as_text():
    record = dict.fromkeys(AVAILABILITY_COLUMNS)
    record.update(
        slug="a", name='=HYPERLINK("x"), "quoted"', availability_date=dt.date(2026, 7, 1), total=0, free=-1,
        day_state="not_bookable_online", source_hut_id="@1", first_checked=SUMMER, last_checked=WINTER,
    )  # fmt: skip
    text = csv_text(AVAILABILITY_COLUMNS, [record], ZURICH)
    assert text.startswith(",".join(AVAILABILITY_COLUMNS) + "\r\n")
    [parsed] = list(csv.DictReader(io.StringIO(text)))
    assert parsed["name"] == '\'=HYPERLINK("x"), "quoted"' and parsed["source_hut_id"] == "'@1"
    assert (parsed["free"], parsed["total"], parsed["occupancy_percent"]) == ("-1", "0", "")  # numbers stay numbers
    assert (parsed["availability_date"], parsed["day_state"]) == ("2026-07-01", "not_bookable_online")
    assert (parsed["first_checked"], parsed["last_checked"]) == (
        "2026-07-01T08:00:00+02:00",
        "2026-01-01T07:00:00+01:00",
    )
    assert csv_text(("slug",), [{"slug": "a"}], ZURICH, lineterminator="\n") == "slug\na\n"
