"""Hütten-Holiday in the simulator: a Laravel-like site with anonymous sessions, a month calendar
per cabin, a paginated cabin list and faults of its own (so chaos runs fault the two providers
independently).

- `GET /huts` opens a session: it sets `huettenholiday_session` and `XSRF-TOKEN` (URL-encoded: the
  token ends in `=`, written `%3D`, so a client must decode it for the `X-XSRF-TOKEN` header).
- `POST /cabins/get-month-availability` {cabinId, selectedMonth {monthNumber, year}} answers 419
  `{"message": "CSRF token mismatch."}` without a known session or with a header that is not the
  session's token; else the days of that month from today to the cabin's horizon (`[]` beyond).
- `GET /get-cabins?page=N`: Laravel pagination, 20 cabins a page.

Cabins are huts of the packaged catalog with ids 1..N (overlapping hut-reservation.org hut ids, as
on the real sites) and their own dynamics (another seed). A day is served from the hut model's
state: serviced with free places → rooms with the free places of each category; no places offered
(closed, winter room, sold out online) → `totalPlaces` 0 while the rooms still show their
capacity, as the real site does outside a season; a full night of some cabins is overbooked
(a room at -1..-3).

Every month answer whose days a client can use (well-formed, or malformed as "wrong_types": the
other days still parse) carries a `ServedMonth` for the simulator's served-state log, so a chaos
run's oracle knows what this site said.

Faults (`FaultConfig`, set apart from hut-reservation.org's): the usual 403/429/5xx/slow/malformed
per cabin, plus `p_session_expired` (a POST finds its session gone, answers 419; a session that has
not answered a POST yet never expires) and `csrf_broken`
(every POST answers 419: renewing the session cannot help).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import SERVICED, build_profile, load_catalog
from .faults import FaultConfig, FaultInjector
from .model import DayState, HutModel

__all__ = ["CABIN_LIST_PATH", "MONTH_PATH", "SESSION_PATH", "HuettenHolidaySite", "ServedMonth", "SiteAnswer", "hh_day"]

SESSION_PATH = "/huts"
MONTH_PATH = "/cabins/get-month-availability"
CABIN_LIST_PATH = "/get-cabins"
SESSION_COOKIE = "huettenholiday_session"
XSRF_COOKIE = "XSRF-TOKEN"
PER_PAGE = 20
DEFAULT_CABINS = 40
SEED_OFFSET = 7919
CSRF_BODY = json.dumps({"message": "CSRF token mismatch."}).encode()
SESSION_HTML = (
    b'<!DOCTYPE html><html><head><meta name="csrf-token" content="%s"><title>H\xc3\xbctten-Holiday</title>'
    b"</head><body>Huts</body></html>"
)


@dataclass(frozen=True)
class ServedMonth:
    """What one month answer served, for the served-state log: the cabin, the quantized simulated
    time its states are of, the month, and per day `[ISO date, sum of rooms[].places, totalPlaces]`
    (the values of the well-formed day, also for the one day a "wrong_types" answer broke)."""

    cabin_id: int
    state_ts: float
    month: str
    days: list[list[Any]]


@dataclass(frozen=True)
class SiteAnswer:
    """One answer of this site: status, body, content type, extra headers, the delay before
    sending it (a slow fault) and what it served (for the served-state log), if anything."""

    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    served: ServedMonth | None = None


def _date_text(ordinal: int) -> str:
    return f"{dt.date.fromordinal(ordinal).isoformat()}T00:00:00.000000Z"


def hh_day(state: DayState, capacity_rooms: tuple[tuple[int, int], ...], overbooked: int) -> dict[str, Any]:
    """One day of a get-month-availability answer from a hut model's day state. `capacity_rooms`:
    (room id, places) of the cabin; `overbooked` > 0 puts the first room of a full night at minus that."""
    total = sum(p for _, p in capacity_rooms)
    if state.status != SERVICED:  # closed or winter room: Hütten-Holiday has no winter rooms
        rooms = [(rid, places) for rid, places in capacity_rooms]  # shown, though closed
        total = 0
    elif state.free is None:
        rooms = [(rid, 0) for rid, _ in capacity_rooms]  # sold out online: nothing left
    else:
        free_of = dict(state.categories)
        rooms = [(rid, free_of.get(rid, 0)) for rid, _ in capacity_rooms]
        if sum(p for _, p in rooms) <= 0 and overbooked and rooms:
            rooms[0] = (rooms[0][0], -overbooked)
    return {
        "date": _date_text(state.ordinal),
        "rooms": [
            {"room_id": rid, "places": places, "paid_places": 0, "booked_places": cap - max(places, 0)}
            for (rid, places), (_, cap) in zip(rooms, capacity_rooms, strict=True)
        ],
        "totalPlaces": total,
    }


class HuettenHolidaySite:
    """The Hütten-Holiday part of the simulator; thread-safe."""

    def __init__(
        self,
        seed: int,
        catalog_path: Any = None,
        cabins: int = DEFAULT_CABINS,
        faults: FaultConfig | None = None,
    ) -> None:
        self.seed = seed + SEED_OFFSET
        entries = load_catalog(catalog_path)[:cabins]
        self._entries: dict[int, dict[str, Any]] = {}
        self._models: dict[int, HutModel] = {}
        for number, entry in enumerate(entries, start=1):
            cabin = {**entry, "hutId": number}
            self._entries[number] = cabin
            self._models[number] = HutModel(build_profile(cabin, self.seed), self.seed)
        self._faults = FaultInjector(faults or FaultConfig(), self.seed)
        self._sessions: dict[str, str] = {}
        self._served: dict[str, int] = {}  # POSTs a session answered: only used sessions expire
        self._lock = threading.Lock()
        self.sessions_opened = 0

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        self._faults.set(faults)

    def cabin_ids(self) -> list[int]:
        return sorted(self._models)

    def model(self, cabin_id: int) -> HutModel:
        return self._models[cabin_id]

    def rooms_of(self, cabin_id: int) -> tuple[tuple[int, int], ...]:
        """(room id, places) of a cabin: the serviced categories of its hut model."""
        return tuple((c.category_id, c.places) for c in self._models[cabin_id].profile.rooms)

    def month_days(self, cabin_id: int, year: int, month: int, t_hours: float) -> list[dict[str, Any]]:
        """The answer for one month at simulated time `t_hours`: days from today to the horizon."""
        model = self._models[cabin_id]
        first = dt.date(year, month, 1).toordinal()
        following = dt.date(year + month // 12, month % 12 + 1, 1).toordinal()
        rooms = self.rooms_of(cabin_id)
        out = []
        for state in model.answer(t_hours).days:
            if first <= state.ordinal < following:
                rng = random.Random(f"overbooked:{self.seed}:{cabin_id}:{state.ordinal}")
                out.append(hh_day(state, rooms, rng.randint(1, 3) if rng.random() < 0.3 else 0))
        return out

    # -- HTTP

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
        headers: Mapping[str, str],
        state_ts: float,
    ) -> SiteAnswer | None:
        """The answer to a request to this site at the (quantized) simulated time `state_ts` (a
        Unix timestamp), None when the path is not its."""
        if path == SESSION_PATH and method == "GET":
            return self._open_session()
        if path == CABIN_LIST_PATH and method == "GET":
            return self._cabin_page(query)
        if path == MONTH_PATH and method == "POST":
            return self._month(body, headers, state_ts)
        return None

    def _open_session(self) -> SiteAnswer:
        session = secrets.token_hex(20)
        token = secrets.token_urlsafe(30) + "="  # Laravel's tokens are base64: often end in '='
        with self._lock:
            self._sessions[session] = token
            self.sessions_opened += 1
        cookies = [
            ("Set-Cookie", f"{XSRF_COOKIE}={urllib.parse.quote(token, safe='')}; path=/; samesite=lax"),
            ("Set-Cookie", f"{SESSION_COOKIE}={session}; path=/; httponly; samesite=lax"),
        ]
        return SiteAnswer(200, SESSION_HTML % token.encode(), "text/html; charset=UTF-8", cookies)

    def _cabin_page(self, query: dict[str, list[str]]) -> SiteAnswer:
        raw = (query.get("page") or ["1"])[0]
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"page must be a positive integer, got {raw!r}")
        page = int(raw)
        decision = self._faults.decide("get-cabins", None)
        if decision.status is not None:
            return SiteAnswer(decision.status, b"<html><body>error</body></html>", "text/html")
        ids = self.cabin_ids()
        last = max(1, -(-len(ids) // PER_PAGE))
        chosen = ids[(page - 1) * PER_PAGE : page * PER_PAGE]
        data = [self._cabin(cid) for cid in chosen]
        payload = {
            "current_page": page,
            "data": data,
            "first_page_url": f"{CABIN_LIST_PATH}?page=1",
            "from": (page - 1) * PER_PAGE + 1 if data else None,
            "last_page": last,
            "last_page_url": f"{CABIN_LIST_PATH}?page={last}",
            "next_page_url": f"{CABIN_LIST_PATH}?page={page + 1}" if page < last else None,
            "per_page": PER_PAGE,
            "to": (page - 1) * PER_PAGE + len(data) if data else None,
            "total": len(ids),
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        return SiteAnswer(200, body, "application/json", delay=decision.delay)

    def _cabin(self, cabin_id: int) -> dict[str, Any]:
        entry = self._entries[cabin_id]
        profile = self._models[cabin_id].profile
        coordinates = entry.get("coordinates") or {}
        name = profile.name.strip()
        slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
        year = dt.date.today().year
        return {
            "id": cabin_id,
            "name": name,
            "slug": f"{slug}-{cabin_id}",
            "altitude": profile.altitude_m,
            "latitude": coordinates.get("lat"),
            "longitude": coordinates.get("lon"),
            "is_delete": False,
            "is_available": True,
            "country": {"id": 1, "code": profile.country, "name": {"de": profile.country, "en": profile.country}},
            "seasons": [
                {"id": cabin_id, "cabin_id": cabin_id, "year": year, "season_open": f"{year}-06-01",
                 "season_close": f"{year}-10-15", "is_delete": False}
            ],
        }  # fmt: skip

    def _month(self, body: bytes, headers: Mapping[str, str], state_ts: float) -> SiteAnswer:
        cookies = _cookies(headers.get("cookie", ""))
        session = cookies.get(SESSION_COOKIE)
        sent = headers.get("x-xsrf-token", "")
        cfg = self.faults
        with self._lock:
            token = self._sessions.get(session or "")
        if token is None or sent != token or cfg.csrf_broken:
            return SiteAnswer(419, CSRF_BODY, "application/json")
        payload = json.loads(body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        cabin_id, selected = payload.get("cabinId"), payload.get("selectedMonth")
        if not isinstance(cabin_id, int) or not isinstance(selected, dict):
            raise ValueError("cabinId (integer) and selectedMonth {monthNumber, year} are required")
        month, year = selected.get("monthNumber"), selected.get("year")
        if not isinstance(month, int) or not isinstance(year, int) or not 1 <= month <= 12:
            raise ValueError(f"selectedMonth must be {{monthNumber: 1..12, year}}, got {selected!r}")
        decision = self._faults.decide("month", cabin_id)
        rng = decision.rng or random.Random(0)
        with self._lock:
            used = self._served.get(session or "", 0)
            self._served[session or ""] = used + 1
        if used and cfg.p_session_expired and rng.random() < cfg.p_session_expired:
            with self._lock:
                self._sessions.pop(session or "", None)
            return SiteAnswer(419, CSRF_BODY, "application/json")
        if decision.status is not None:
            return SiteAnswer(decision.status, b"<html><body>error</body></html>", "text/html")
        if cabin_id not in self._models:
            return SiteAnswer(404, json.dumps({"message": "Not Found"}).encode(), "application/json")
        days = self.month_days(cabin_id, year, month, state_ts / 3600.0)
        served: ServedMonth | None = ServedMonth(
            cabin_id,
            state_ts,
            f"{year:04d}-{month:02d}",
            [[d["date"][:10], sum(r["places"] for r in d["rooms"]), d["totalPlaces"]] for d in days],
        )
        if decision.malformed:
            if decision.malformed == "truncated":
                text = json.dumps(days).encode()
                return SiteAnswer(200, text[: max(1, len(text) // 2)], "application/json", delay=decision.delay)
            if decision.malformed == "renamed":
                days = [{"day": d["date"], "places": d["totalPlaces"]} for d in days] or [{"day": None}]
                served = None  # no day of it can be used
            elif days:  # wrong_types: one day broken, the others still served
                days[rng.randrange(len(days))]["totalPlaces"] = str(days[0]["totalPlaces"])
        return SiteAnswer(200, json.dumps(days).encode(), "application/json", delay=decision.delay, served=served)


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out
