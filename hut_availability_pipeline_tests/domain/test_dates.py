"""Date words and ranges (`today`, `tomorrow`, `weekend`, ISO) in the configured zone."""

from __future__ import annotations

import datetime as dt

import pytest

from hut_availability_pipeline.domain.dates import date_range, parse_date

ZURICH = "Europe/Zurich"
NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)  # a Friday; 14:00 in Zurich
TODAY = dt.date(2026, 7, 10)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01", dt.date(2026, 7, 1)),
        (" 2026-12-31 ", dt.date(2026, 12, 31)),
        ("today", TODAY),
        ("TODAY", TODAY),
        ("tomorrow", TODAY + DAY),
        ("weekend", dt.date(2026, 7, 11)),  # Friday → Saturday
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, ZURICH, NOW) == expected


def test_date_words_use_the_configured_zone():
    late = dt.datetime(2026, 7, 10, 22, 30, tzinfo=dt.UTC)  # already 00:30 on the 11th in Zurich
    assert parse_date("today", ZURICH, late) == dt.date(2026, 7, 11)
    assert parse_date("today", "UTC", late) == dt.date(2026, 7, 10)
    assert parse_date("tomorrow", "America/New_York", late) == dt.date(2026, 7, 11)


@pytest.mark.parametrize(
    ("now", "saturday"),
    [
        (dt.datetime(2026, 7, 11, 9, tzinfo=dt.UTC), dt.date(2026, 7, 11)),  # on a Saturday: today
        (dt.datetime(2026, 7, 12, 9, tzinfo=dt.UTC), dt.date(2026, 7, 18)),  # Sunday: next week's
        (dt.datetime(2026, 7, 13, 9, tzinfo=dt.UTC), dt.date(2026, 7, 18)),  # Monday
    ],
)
def test_weekend_is_the_coming_saturday(now, saturday):
    assert parse_date("weekend", ZURICH, now) == saturday


@pytest.mark.parametrize("text", ["", "yesterday", "2026-02-30", "2026-7-1", "01.07.2026", "2026-07-01T00:00"])
def test_bad_dates_raise_a_clear_error(text):
    with pytest.raises(ValueError, match=r"bad date .*YYYY-MM-DD or one of today, tomorrow, weekend"):
        parse_date(text, ZURICH, NOW)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_date("today", ZURICH, dt.datetime(2026, 7, 10, 12))


def test_a_range_defaults_to_days_from_today_and_refuses_empty_or_endless_ones():
    assert date_range(None, None, 4, zone=ZURICH, now=NOW) == (TODAY, TODAY + 3 * DAY)
    assert date_range(TODAY, TODAY, 4) == (TODAY, TODAY)
    with pytest.raises(ValueError, match="date range is empty: 2026-07-09 is before 2026-07-10"):
        date_range(TODAY, TODAY - DAY, 4)
    with pytest.raises(ValueError, match="beyond the calendar"):
        date_range(dt.date(9999, 12, 30), None, 10)
