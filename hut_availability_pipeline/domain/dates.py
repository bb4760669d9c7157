"""Dates as people say them: an ISO date or `today`, `tomorrow`, `weekend`, in the zone of the
huts (hut-reservation.org's days are Swiss local days), and date ranges."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

DEFAULT_TIMEZONE = "Europe/Zurich"
DATE_WORDS = ("today", "tomorrow", "weekend")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Zone = str | zoneinfo.ZoneInfo


def today_in(zone: str | zoneinfo.ZoneInfo, now: dt.datetime) -> dt.date:
    """The calendar date of `now` in the configured zone (what "today" means for selection)."""
    tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    return now.astimezone(tz).date()


def zone_info(zone: Zone) -> zoneinfo.ZoneInfo:
    """The zone itself, given by name or as a ZoneInfo."""
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone


def aware_now(now: dt.datetime | None) -> dt.datetime:
    """`now`, or the clock when None; a naive time is refused (its zone would be a guess)."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    return now


def parse_date(text: str, zone: Zone = DEFAULT_TIMEZONE, now: dt.datetime | None = None) -> dt.date:
    """An ISO date (YYYY-MM-DD) or one of the words `today`, `tomorrow`, `weekend` (the coming
    Saturday: today on a Saturday) in the configured zone; ValueError says what is accepted."""
    word = text.strip().lower()
    today = today_in(zone_info(zone), aware_now(now))
    if word == "today":
        return today
    if word == "tomorrow":
        return today + dt.timedelta(days=1)
    if word == "weekend":
        return today + dt.timedelta(days=(5 - today.weekday()) % 7)
    if _ISO_DATE.match(word):
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            pass
    raise ValueError(f"bad date {text!r}: use YYYY-MM-DD or one of {', '.join(DATE_WORDS)}")


def date_range(
    date_from: dt.date | None,
    date_to: dt.date | None,
    days: int,
    *,
    zone: Zone = DEFAULT_TIMEZONE,
    now: dt.datetime | None = None,
) -> tuple[dt.date, dt.date]:
    """[date_from, date_to], both inclusive: from today and `days` days long unless given;
    ValueError when the range is empty or leaves the calendar."""
    start = date_from if date_from is not None else today_in(zone_info(zone), aware_now(now))
    try:
        end = date_to if date_to is not None else start + dt.timedelta(days=days - 1)
    except OverflowError:
        raise ValueError(f"{days} days from {start.isoformat()} is beyond the calendar") from None
    if end < start:
        raise ValueError(f"date range is empty: {end.isoformat()} is before {start.isoformat()}")
    return start, end
