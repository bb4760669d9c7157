"""The two booking sites without totals in the simulator: the Tour du Mont Blanc refuges' planning
call and the FFCAM availability form, each with faults of its own (so chaos runs fault the four
providers independently).

- TMB: `GET /index.aspx/index.aspx?ref=json-planning-refuge&q={refuge id},{YYYY-MM-DD}` answers
  JSONP `([{"datemini": ..., "planning": [{"d": i, "s": free, "f": 0|1}, ... 30 nights]}])`, the
  first night 15 days before the date asked; `s` is a number for some refuges and a string for
  others, as public clients saw. The refuges are the packaged TMB catalog (`data/tmb_refuges.csv`).
- FFCAM: `POST /index.php` (form: `action=availability`, `structure=BK_STRUCTURE:{n}`) answers an
  HTML page whose script holds `BK.globalAvailability = {"YYYY-MM-DD": free, ...};` for a year
  from today. Refuges are ids `FFCAM_REFUGES`.

How the nights fill (`free_places`), made to look like the real 2024 TMB data: each night of a
refuge sells out (reaches 0 free online) at a lead time drawn so that a third of refuge-nights are
at 0 free 180 days ahead and about half from 120 days ahead (`sold_out_share`), its free places
falling over the 90 days before; a night at 0 shows 1-2 free places on a given day with
probability `CANCELLATION_SHARE` (0.83 %: a cancellation, taken again the next day). Nights outside
a refuge's season are closed (`f` 1, `s` 0 for TMB; 0 for FFCAM). States change once a simulated
day.

Faults (`FaultConfig`): 429, 5xx, slow answers (timeouts), unknown/broken refuges, and malformed
answers: TMB "truncated" is unreadable JSONP, "wrong_types" one night's `s` unreadable, "renamed"
no `planning`; FFCAM "truncated"/"renamed" is a page without the availability script,
"wrong_types" one date's count unreadable.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import random
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .faults import FaultConfig, FaultInjector

__all__ = [
    "CANCELLATION_SHARE",
    "FFCAM_PATH",
    "FFCAM_REFUGES",
    "TMB_PATH",
    "AlpineAnswer",
    "FfcamSite",
    "TmbSite",
    "free_places",
    "sold_out_share",
    "tmb_refuge_ids",
]

TMB_PATH = "/index.aspx/index.aspx"
FFCAM_PATH = "/index.php"
NIGHTS = 30
NIGHTS_BEFORE = 15
FFCAM_DAYS = 365
FFCAM_REFUGES = (85, 86, 87, 88, 89, 90, 91, 92)
"""Simulated FFCAM structure ids (85 is Refuge de l'Aigle on the real site)."""
CANCELLATION_SHARE = 0.0083
_SURVIVAL = ((0, 0.85), (120, 0.5), (180, 1 / 3), (365, 0.05))
"""P(a night sells out at a lead of at least x days): the real 2024 TMB season's shares."""
_FILL_DAYS = 90


def sold_out_share(lead: int) -> float:
    """Share of nights already at 0 free `lead` days ahead (piecewise linear through `_SURVIVAL`)."""
    if lead <= _SURVIVAL[0][0]:
        return _SURVIVAL[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(_SURVIVAL):
        if lead <= x1:
            return y0 + (y1 - y0) * (lead - x0) / (x1 - x0)
    return _SURVIVAL[-1][1]


def _sellout_lead(u: float) -> int:
    """The lead (days ahead) at which a night with draw `u` sells out; -1: never."""
    if u >= _SURVIVAL[0][1]:
        return -1
    for lead in range(0, 366):
        if sold_out_share(lead) <= u:
            return lead
    return 365


@dataclass(frozen=True)
class Refuge:
    """A simulated refuge: capacity and season (day of year, inclusive)."""

    refuge_id: int
    capacity: int
    opens: int
    closes: int
    string_counts: bool


def refuge(seed: int, site: str, refuge_id: int) -> Refuge:
    rng = random.Random(f"{site}:{seed}:{refuge_id}")
    return Refuge(refuge_id, rng.randint(12, 60), rng.randint(145, 170), rng.randint(250, 273), rng.random() < 0.5)


def free_places(seed: int, site: str, ref: Refuge, night: dt.date, today: dt.date) -> int | None:
    """Free places of `night` seen on `today`; None: closed (outside the refuge's season)."""
    day_of_year = night.timetuple().tm_yday
    if not ref.opens <= day_of_year <= ref.closes:
        return None
    lead = (night - today).days
    sellout = _sellout_lead(random.Random(f"{site}:{seed}:{ref.refuge_id}:{night.toordinal()}").random())
    if lead > sellout:
        share = min(1.0, (lead - sellout) / _FILL_DAYS)
        return max(1, round(ref.capacity * share))
    churn = random.Random(f"{site}:{seed}:{ref.refuge_id}:{night.toordinal()}:{today.toordinal()}")
    if churn.random() < CANCELLATION_SHARE:
        return churn.randint(1, 2)
    return 0


def tmb_refuge_ids() -> list[int]:
    """The refuge ids of the packaged TMB catalog."""
    text = resources.files("hut_availability_pipeline.data").joinpath("tmb_refuges.csv").read_text("utf-8")
    return sorted(int(row["source_hut_id"]) for row in csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class AlpineAnswer:
    """One answer: status, body, content type, delay, and the served nights (date, free, closed)
    of a well-formed answer for the served-state log."""

    status: int
    body: bytes
    content_type: str
    delay: float = 0.0
    served: dict[str, Any] | None = None


_ERROR_HTML = b"<html><head><title>%d</title></head><body><h1>%d</h1></body></html>"


def _error(status: int) -> AlpineAnswer:
    return AlpineAnswer(status, _ERROR_HTML % (status, status), "text/html; charset=utf-8")


class _Site:
    site = ""

    def __init__(self, seed: int, refuge_ids: list[int] | tuple[int, ...], faults: FaultConfig) -> None:
        self.seed = seed
        self.refuges = {i: refuge(seed, self.site, i) for i in refuge_ids}
        self._faults = FaultInjector(faults, seed)

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        self._faults.set(faults)

    def refuge_ids(self) -> list[int]:
        return sorted(self.refuges)

    def free(self, refuge_id: int, night: dt.date, today: dt.date) -> int | None:
        return free_places(self.seed, self.site, self.refuges[refuge_id], night, today)


class TmbSite(_Site):
    """The TMB refuges' planning call."""

    site = "tmb"

    def handle(self, method: str, path: str, query: Mapping[str, list[str]], now: dt.datetime) -> AlpineAnswer | None:
        if path != TMB_PATH or method != "GET" or (query.get("ref") or [""])[0] != "json-planning-refuge":
            return None
        raw = (query.get("q") or [""])[0]
        refuge_text, _, date_text = raw.partition(",")
        try:
            refuge_id, asked = int(refuge_text), dt.date.fromisoformat(date_text)
        except ValueError:
            return AlpineAnswer(200, b"([])", "application/javascript")  # the real backend answers nothing usable
        decision = self._faults.decide("planning", refuge_id)
        if decision.status is not None:
            return _error(decision.status)
        if refuge_id not in self.refuges:
            return AlpineAnswer(200, b"([])", "application/javascript")
        today = now.date()
        first = asked - dt.timedelta(days=NIGHTS_BEFORE)
        ref = self.refuges[refuge_id]
        planning: list[dict[str, Any]] = []
        served: list[list[Any]] = []
        for i in range(NIGHTS):
            night = first + dt.timedelta(days=i)
            free = self.free(refuge_id, night, min(today, night))  # a past night as on its eve
            closed = free is None
            count = 0 if free is None else free
            planning.append({"d": i, "s": str(count) if ref.string_counts else count, "f": 1 if closed else 0})
            if night >= today:
                served.append([night.isoformat(), count, closed])
        payload = [{"datemini": first.isoformat(), "planning": planning}]
        body = b"(" + json.dumps(payload, separators=(",", ":")).encode() + b")"
        if decision.malformed is not None and decision.rng is not None:
            kind = decision.malformed
            if kind == "truncated":
                body = body[: len(body) // 2]
            elif kind == "renamed":
                body = body.replace(b'"planning"', b'"plan"')
            else:  # one night unreadable: the others are served (and logged) as they are
                broken = decision.rng.randrange(len(planning))
                planning[broken]["s"] = "n/a"
                body = b"(" + json.dumps(payload, separators=(",", ":")).encode() + b")"
                gone = (first + dt.timedelta(days=broken)).isoformat()
                log = {"source": "tmb", "hut_id": refuge_id, "days": [d for d in served if d[0] != gone]}
                return AlpineAnswer(200, body, "application/javascript", delay=decision.delay, served=log)
            return AlpineAnswer(200, body, "application/javascript", delay=decision.delay)
        log = {"source": "tmb", "hut_id": refuge_id, "days": served}
        return AlpineAnswer(200, body, "application/javascript", delay=decision.delay, served=log)


_PAGE = (
    '<!DOCTYPE html><html><head><title>Réservation</title></head><body><div id="bk"></div>'
    '<script>var BK = BK || {{}};</script><script>BK.minDate = "{min}"; BK.bookingDelay = 365;\n'
    "BK.globalAvailability = {avail};\n</script></body></html>"
)
_PAGE_WITHOUT = (
    "<!DOCTYPE html><html><head><title>Erreur</title></head><body><p>Une erreur est survenue.</p></body></html>"
)


class FfcamSite(_Site):
    """The FFCAM availability form."""

    site = "ffcam"

    def handle(self, method: str, path: str, body: bytes, now: dt.datetime) -> AlpineAnswer | None:
        if path != FFCAM_PATH or method != "POST":
            return None
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if (form.get("action") or [""])[0] != "availability":
            return None
        structure = (form.get("structure") or [""])[0]
        number = structure.removeprefix("BK_STRUCTURE:")
        if not structure.startswith("BK_STRUCTURE:") or not number.isdigit():
            return AlpineAnswer(200, _PAGE_WITHOUT.encode(), "text/html; charset=utf-8")
        refuge_id = int(number)
        decision = self._faults.decide("availability", refuge_id)
        if decision.status is not None:
            return _error(decision.status)
        if refuge_id not in self.refuges:
            return AlpineAnswer(200, _PAGE_WITHOUT.encode(), "text/html; charset=utf-8")
        today = now.date()
        avail: dict[str, Any] = {}
        served: list[list[Any]] = []
        for k in range(FFCAM_DAYS):
            night = today + dt.timedelta(days=k)
            free = self.free(refuge_id, night, today)
            avail[night.isoformat()] = 0 if free is None else free
            served.append([night.isoformat(), avail[night.isoformat()], free is None])
        kind = decision.malformed
        if kind in ("truncated", "renamed"):
            return AlpineAnswer(200, _PAGE_WITHOUT.encode(), "text/html; charset=utf-8", delay=decision.delay)
        if kind == "wrong_types" and decision.rng is not None:  # one date unreadable, the others served
            gone = decision.rng.choice(list(avail))
            avail[gone] = "complet"
            served = [d for d in served if d[0] != gone]
        page = _PAGE.format(min=today.isoformat(), avail=json.dumps(avail, separators=(",", ":")))
        log = {"source": "ffcam", "hut_id": refuge_id, "days": served}
        return AlpineAnswer(200, page.encode(), "text/html; charset=utf-8", delay=decision.delay, served=log)
