"""Availability dynamics: the state of every hut-date as a pure function of (seed, hut, date, time).

A date's bookings follow a smooth booking curve (near dates and busy days fill first) plus a slow
per-date oscillation that produces both new bookings and cancellations as simulated time passes.
Nothing is stored besides caches, so two fetches at the same simulated time always agree.

What real answers show, and the simulator serves too (README of `reference/hut-reservation/real`):
- *not bookable online*: SERVICED with `freeBeds` null, `freeBedsPerCategory` {} and
  `totalSleepingPlaces` 0. Nearly full nights of some huts move into it and back as time passes
  (in windows of `SOLD_OUT_ONLINE_WINDOW_HOURS`), and some huts hold the serviced nights beyond a
  release horizon in it until they open for booking.
- non-midnight `date` values (`2026-10-31T11:59:15.919274861Z`, sometimes 6 fractional digits) on
  the last open day before a closure and on placeholder days; `dateFormatted` gives the day.
- placeholder far future: beyond a hut's configured horizon every bed is free (AVAILABLE).
- horizons from 15 to 731 days; the `percentage` label NEARLY FULL up to 20 % free.
The label of a not-bookable-online night is not known from real answers; it is served as FULL.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import NamedTuple

from .catalog import CLOSED, SERVICED, HutProfile

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Demand per weekday (Monday first): the night of Friday and Saturday fills first.
WEEKDAY_FACTOR = (0.75, 0.8, 0.85, 0.95, 1.25, 1.4, 0.7)
EARLY_SEASON_DAYS = 5  # first days of summer: only the main category is open
NEARLY_FULL_SHARE = 0.20  # real answers: NEARLY FULL up to 14 of 72 free, AVAILABLE from 17
SOLD_OUT_ONLINE_WINDOW_HOURS = 8.0  # a nearly full night is, or is not, sold out online for this long
SOLD_OUT_ONLINE_CHANCE = 0.35

# status codes inside a year plan
_OFF, _CLOSED, _SERVICED, _EARLY = 0, 1, 2, 3


class DayState(NamedTuple):
    """One day of an availability answer; `categories` is ((categoryID, free places), ...)."""

    ordinal: int
    free: int | None
    total: int
    status: str
    percentage: str
    categories: tuple[tuple[int, int], ...]
    stamp: str | None = None  # the `date` text when it is not midnight (an instant with a time of day)

    @property
    def date(self) -> dt.date:
        """The calendar day."""
        return dt.date.fromordinal(self.ordinal)


@dataclass
class YearPlan:
    """Per-day parameters of one hut for one calendar year (index: day of the year)."""

    first_ordinal: int
    code: list[int]
    target: list[float]
    omega: list[float]
    phase: list[float]


@dataclass
class Answer:
    """A computed availability answer, cached per (hut, tick): the days and their JSON body."""

    t_hours: float
    days: list[DayState]
    body: bytes
    _log_days: str | None = field(default=None, repr=False)

    def log_days_json(self) -> str:
        """The days as `[[date, freeBeds, totalSleepingPlaces, hutStatus], ...]` JSON (cached)."""
        if self._log_days is None:
            parts = [
                f'["{_date_strings(d.ordinal)[2]}",{"null" if d.free is None else d.free},{d.total},"{d.status}"]'
                for d in self.days
            ]
            self._log_days = "[" + ",".join(parts) + "]"
        return self._log_days


_DATE_CACHE: dict[int, tuple[str, str, str]] = {}


def _date_strings(ordinal: int) -> tuple[str, str, str]:
    """(API `date`, `dateFormatted`, ISO date) of a day ordinal, cached."""
    cached = _DATE_CACHE.get(ordinal)
    if cached is None:
        d = dt.date.fromordinal(ordinal)
        iso = d.isoformat()
        cached = (f"{iso}T00:00:00Z", f"{d.day:02d}.{d.month:02d}.{d.year:04d}", iso)
        _DATE_CACHE[ordinal] = cached
    return cached


def percentage_label(free: int | None, total: int) -> str:
    """The site's coarse label: FULL at 0 free, NEARLY FULL up to 20 % free, else AVAILABLE."""
    if free is None:
        return "CLOSED"
    if free <= 0:
        return "FULL"
    if free <= total * NEARLY_FULL_SHARE:
        return "NEARLY FULL"
    return "AVAILABLE"


def instant_stamp(ordinal: int, hut_id: int) -> str:
    """A `date` written as an instant with a time of day, as real answers carry on some days:
    nine fractional digits, or six on every seventh day (`.919570Z`)."""
    nanos = (hut_id * 7919 + ordinal * 104729) % 1_000_000_000
    fraction = f"{nanos // 1000:06d}" if ordinal % 7 == 0 else f"{nanos:09d}"
    return f"{_date_strings(ordinal)[2]}T11:59:15.{fraction}Z"


def _sold_out_online(seed: int, hut_id: int, ordinal: int, window: int) -> bool:
    """Whether a nearly full night is sold out online in this time window (a stable hash)."""
    h = (seed * 1_000_003 + hut_id * 7_919 + ordinal * 104_729 + window * 15_485_863) % 2_147_483_647
    h = (h * 48_271) % 2_147_483_647
    return h < SOLD_OUT_ONLINE_CHANCE * 2_147_483_647


class HutModel:
    """The dynamics of one hut: season plans per year (cached) and answers per tick (cached)."""

    def __init__(self, profile: HutProfile, seed: int) -> None:
        self.profile = profile
        self.seed = seed
        self._years: dict[int, YearPlan] = {}
        self._last: Answer | None = None
        self.freed: dict[int, int] = {}
        """Nights given free places by hand (`free`): date ordinal -> free places, over the dynamics."""
        hut_rng = random.Random(f"season:{seed}:{profile.hut_id}")
        shift = max(-12, min(12, round((profile.altitude_m - 2000) / 60)))
        self._open_offset = shift + hut_rng.randint(-7, 7)
        self._close_offset = -shift + hut_rng.randint(-8, 10)
        self._spring_open = hut_rng.randint(0, 15)
        self._spring_close = hut_rng.randint(0, 20)
        self._info = self._code_info()

    # ---- seasons -------------------------------------------------------------------------
    def _seasons(self, year: int, rng: random.Random) -> list[tuple[int, int, int]]:
        """(first ordinal, last ordinal, code) of the non-default periods of `year`."""
        p = self.profile
        if p.bivouac:
            return []
        o = dt.date(year, 1, 1).toordinal()
        start = dt.date(year, 6, 15).toordinal() + self._open_offset + rng.randint(-3, 3)
        end = dt.date(year, 9, 25).toordinal() + self._close_offset + rng.randint(-3, 3)
        periods = [
            (start, start + EARLY_SEASON_DAYS - 1, _EARLY),
            (start + EARLY_SEASON_DAYS, end, _SERVICED),
        ]
        if p.spring_season:
            s0 = dt.date(year, 3, 10).toordinal() + self._spring_open + rng.randint(-2, 2)
            s1 = dt.date(year, 4, 25).toordinal() + self._spring_close + rng.randint(-2, 2)
            periods.append((s0, s1, _SERVICED))
        if p.shoulder_closed:
            c0 = max(end + 1, dt.date(year, 10, 20).toordinal() + rng.randint(0, 10))
            periods.append((c0, dt.date(year, 12, 20).toordinal() + rng.randint(0, 10), _CLOSED))
        return [(a - o, b - o, c) for a, b, c in periods]

    def _year(self, year: int) -> YearPlan:
        plan = self._years.get(year)
        if plan is not None:
            return plan
        p = self.profile
        rng = random.Random(f"year:{self.seed}:{p.hut_id}:{year}")
        first = dt.date(year, 1, 1).toordinal()
        n = dt.date(year + 1, 1, 1).toordinal() - first
        default = _CLOSED if p.off_status == CLOSED else _OFF
        code = [default] * n
        for a, b, c in self._seasons(year, rng):
            for i in range(max(a, 0), min(b, n - 1) + 1):
                code[i] = c
        target, omega, phase = [], [], []
        for i in range(n):
            noise = 0.7 + 0.6 * rng.random()
            wd = WEEKDAY_FACTOR[(first + i - 1) % 7]  # ordinal 1 (0001-01-01) is a Monday
            if code[i] in (_SERVICED, _EARLY):
                # summer peaks early August, the spring ski season mid-April
                summer = math.exp(-(((i - 215) / 35.0) ** 2))
                spring = 0.8 * math.exp(-(((i - 100) / 20.0) ** 2))
                shape = 0.5 + 0.5 * max(summer, spring)
                target.append(p.popularity * shape * wd * noise)
            else:
                target.append(0.05 * p.popularity * wd * noise)
            omega.append(2.0 * math.pi / rng.uniform(48.0, 192.0))
            phase.append(rng.uniform(0.0, 2.0 * math.pi))
        plan = YearPlan(first, code, target, omega, phase)
        self._years[year] = plan
        return plan

    # ---- states --------------------------------------------------------------------------
    def _code_info(self) -> dict[int, tuple[tuple[tuple[int, int], ...], int, str, float]]:
        """Per status code: ((categoryID, places), ...), total places, hutStatus, wobble scale."""
        p = self.profile
        winter = ((p.winter_room.category_id, p.winter_room.places),) if p.winter_room else ()
        rooms = tuple((c.category_id, c.places) for c in p.rooms)
        info = {
            _SERVICED: (rooms, SERVICED, 1.0),
            _EARLY: (rooms[:1], SERVICED, 1.0),
            _OFF: (winter, p.off_status, 0.3),
            _CLOSED: ((), CLOSED, 0.0),
        }
        return {k: (cats, sum(n for _, n in cats), status, w) for k, (cats, status, w) in info.items()}

    def days(self, today: int, t_hours: float) -> list[DayState]:
        """The day states from ordinal `today` over the hut's horizon at simulated time `t_hours`
        (hours since the Unix epoch)."""
        p = self.profile
        info = self._info
        tau_h = p.tau_days * 24.0
        exp, sin = math.exp, math.sin
        out: list[DayState] = []
        append = out.append
        plan = self._year(dt.date.fromordinal(today).year)
        code_list, target, omega, phase = plan.code, plan.target, plan.omega, plan.phase
        lead = (today - EPOCH_ORDINAL) * 24.0 - t_hours
        placeholder_from = today + p.configured_days if p.configured_days is not None else None
        release_from = today + p.release_days if p.release_days is not None else None
        window = int(t_hours // SOLD_OUT_ONLINE_WINDOW_HOURS)
        rooms, room_cap = info[_SERVICED][0], info[_SERVICED][1]
        hut_id, seed = p.hut_id, self.seed
        for ordinal in range(today, today + p.horizon_days):
            if placeholder_from is not None and ordinal >= placeholder_from:
                # unconfigured far future: every bed free, written as an instant
                append(
                    DayState(ordinal, room_cap, room_cap, SERVICED, "AVAILABLE", rooms, instant_stamp(ordinal, hut_id))
                )
                continue
            i = ordinal - plan.first_ordinal
            if i >= len(code_list):
                plan = self._year(dt.date.fromordinal(ordinal).year)
                code_list, target, omega, phase = plan.code, plan.target, plan.omega, plan.phase
                i = ordinal - plan.first_ordinal
            cats, cap, status, scale = info[code_list[i]]
            if not cap:
                append(DayState(ordinal, None, 0, CLOSED, "CLOSED", ()))
                lead += 24.0
                continue
            h = lead if lead > 0.0 else 0.0
            lead += 24.0
            if status == SERVICED and release_from is not None and ordinal >= release_from:
                append(DayState(ordinal, None, 0, SERVICED, "FULL", ()))  # not released for booking yet
                continue
            curve = 0.75 * exp(-h / tau_h) + 0.25 * exp(-h / 4800.0)
            amp = (0.8 + 0.04 * cap) * scale * (0.15 + 0.85 * curve)
            booked = int(cap * target[i] * curve + amp * sin(omega[i] * t_hours + phase[i]) + 0.5)
            booked = 0 if booked < 0 else (cap if booked > cap else booked)
            free = cap - booked
            if (
                status == SERVICED
                and p.sells_out_online
                and free <= cap * NEARLY_FULL_SHARE
                and _sold_out_online(seed, hut_id, ordinal, window)
            ):
                append(DayState(ordinal, None, 0, SERVICED, "FULL", ()))  # sold out online
                continue
            if len(cats) == 1:
                per_cat: tuple[tuple[int, int], ...] = ((cats[0][0], free),)
            else:
                rest = booked
                split = []
                for cid, places in cats:
                    b = min(places, rest, -(-booked * places // cap))
                    rest -= b
                    split.append((cid, places - b))
                per_cat = tuple(split)
            if free <= 0:
                label = "FULL"
            elif free <= cap * NEARLY_FULL_SHARE:
                label = "NEARLY FULL"
            else:
                label = "AVAILABLE"
            # the last open day before a closure is written as an instant, as in real answers
            closes_next = i + 1 < len(code_list) and not info[code_list[i + 1]][1]
            stamp = instant_stamp(ordinal, hut_id) if closes_next else None
            append(DayState(ordinal, free, cap, status, label, per_cat, stamp))
        return out

    def free(self, night: dt.date, places: int, t_hours: float) -> DayState:
        """From now on, answer `places` free places for `night` (a cancellation, for demos: a watch
        on a full night fires; a night not bookable online, or with fewer places in all, gets that
        many places in all); ValueError when the hut is not serviced that night (closed or only a
        winter room)."""
        if places < 0:
            raise ValueError(f"places must not be negative, got {places}")
        day = next((d for d in self.answer(t_hours).days if d.ordinal == night.toordinal()), None)
        if day is None:
            raise ValueError(f"hut {self.profile.hut_id} answers no night {night.isoformat()} (not within its horizon)")
        if day.status != SERVICED:
            raise ValueError(
                f"hut {self.profile.hut_id} is not serviced on {night.isoformat()} (closed, or a winter room only):"
                " pick a night in its season"
            )
        self.freed[day.ordinal] = places
        self._last = None
        return self._freed_day(day)

    def _freed_day(self, day: DayState) -> DayState:
        if day.status != SERVICED:
            return day
        free = self.freed[day.ordinal]
        total = max(day.total, free)
        cats = day.categories or ((1, 0),)
        per_cat = ((cats[0][0], free), *((cid, 0) for cid, _ in cats[1:]))
        label = "FULL" if free <= 0 else ("NEARLY FULL" if free <= total * NEARLY_FULL_SHARE else "AVAILABLE")
        return DayState(day.ordinal, free, total, SERVICED, label, per_cat, day.stamp)

    def answer(self, t_hours: float) -> Answer:
        """The availability answer at `t_hours` (already quantized to a tick), cached per tick."""
        last = self._last
        if last is not None and last.t_hours == t_hours:
            return last
        today = EPOCH_ORDINAL + int(t_hours // 24)
        days = self.days(today, t_hours)
        if self.freed:
            days = [self._freed_day(d) if d.ordinal in self.freed else d for d in days]
        answer = Answer(t_hours, days, render_days(days))
        self._last = answer
        return answer


def render_days(days: list[DayState]) -> bytes:
    """The JSON body of getHutAvailability, keys in the real endpoint's order."""
    parts: list[str] = []
    append = parts.append
    for ordinal, free, total, status, percentage, categories, stamp in days:
        if len(categories) == 1:
            cats = f'"{categories[0][0]}":{categories[0][1]}'
        else:
            cats = ",".join([f'"{cid}":{n}' for cid, n in categories])
        date, formatted, _ = _DATE_CACHE.get(ordinal) or _date_strings(ordinal)
        if stamp is not None:
            date = stamp
        append(
            f'{{"freeBedsPerCategory":{{{cats}}},"freeBeds":{"null" if free is None else free},'
            f'"hutStatus":"{status}","date":"{date}","dateFormatted":"{formatted}",'
            f'"totalSleepingPlaces":{total},"percentage":"{percentage}"}}'
        )
    return ("[" + ",".join(parts) + "]").encode()


def day_dicts(days: list[DayState]) -> list[dict[str, object]]:
    """The days as JSON-ready dicts (used to build malformed variants)."""
    out: list[dict[str, object]] = []
    for d in days:
        date, formatted, _ = _date_strings(d.ordinal)
        if d.stamp is not None:
            date = d.stamp
        out.append(
            {
                "freeBedsPerCategory": {str(cid): free for cid, free in d.categories},
                "freeBeds": d.free,
                "hutStatus": d.status,
                "date": date,
                "dateFormatted": formatted,
                "totalSleepingPlaces": d.total,
                "percentage": d.percentage,
            }
        )
    return out
