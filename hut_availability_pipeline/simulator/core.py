"""The simulator without HTTP: routes a request to an answer, applies faults, writes the served log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .alpine import FFCAM_REFUGES, AlpineAnswer, FfcamSite, TmbSite, tmb_refuge_ids
from .catalog import HutProfile, build_profile, hut_info, load_catalog
from .clock import SimClock
from .faults import (
    FORBIDDEN_HTML,
    GATEWAY_HTML,
    TOO_MANY_HTML,
    FaultConfig,
    FaultInjector,
    malform_availability,
    malform_hut_info,
)
from .huetten_holiday import DEFAULT_CABINS, HuettenHolidaySite, ServedMonth
from .model import Answer, DayState, HutModel, day_dicts

log = logging.getLogger(__name__)

API = "/api/v1/reservation"
AVAILABILITY_PATH = f"{API}/getHutAvailability"
HUT_INFO_PREFIX = f"{API}/hutInfo/"
JSON = "application/json"
HTML = "text/html; charset=utf-8"
_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class SimulatorConfig:
    """Everything that defines a simulation run. `start` None → now; `speed` 0 freezes the clock.

    `tick_seconds`: states are constant within a tick of simulated time (and cached per tick).
    `served_log`: JSONL file that gets one line per well-formed answer sent: per getHutAvailability
    answer `{"source": "hrs", "hut_id", "served_at", "sim_time", "days": [[date, freeBeds,
    totalSleepingPlaces, hutStatus], ...]}`, per Hütten-Holiday month answer whose days can be used
    `{"source": "huetten-holiday", "hut_id": cabin id, "served_at", "sim_time", "month",
    "days": [[date, sum of rooms[].places, totalPlaces], ...]}`.
    """

    seed: int = 1
    catalog_path: str | Path | None = None
    start: dt.datetime | None = None
    speed: float = 1.0
    served_log: str | Path | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    tick_seconds: float = 60.0
    hh_faults: FaultConfig = field(default_factory=FaultConfig)
    """Faults of the Hütten-Holiday site, independent of hut-reservation.org's."""
    hh_cabins: int = DEFAULT_CABINS
    """How many Hütten-Holiday cabins the site lists (ids 1..N)."""
    tmb_faults: FaultConfig = field(default_factory=FaultConfig)
    """Faults of the TMB refuges' site, independent of the others'."""
    ffcam_faults: FaultConfig = field(default_factory=FaultConfig)
    """Faults of the FFCAM site, independent of the others'."""


@dataclass
class Response:
    """An HTTP answer to send; `served` is set for answers that go to the served-state log."""

    status: int
    body: bytes
    content_type: str = JSON
    delay: float = 0.0
    served: tuple[int, float, Answer] | None = None
    served_month: ServedMonth | None = None
    """A Hütten-Holiday month answer for the served-state log."""
    served_nights: dict[str, Any] | None = None
    """A TMB or FFCAM answer for the served-state log (`{"source", "hut_id", "days"}`)."""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The HTTP reason phrase."""
        return _REASONS.get(self.status, "OK" if self.status < 300 else "Error")


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="microseconds")


def _json(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode())


class Simulator:
    """hut-reservation.org in memory: the catalog's huts, a simulated clock, faults and a served log."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        if self.config.tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self.clock = SimClock(self.config.start, self.config.speed)
        self._faults = FaultInjector(self.config.faults, self.config.seed)
        seed = self.config.seed
        self._models = {
            p.hut_id: HutModel(p, seed)
            for p in (build_profile(entry, seed) for entry in load_catalog(self.config.catalog_path))
        }
        self.huetten_holiday = HuettenHolidaySite(
            seed, self.config.catalog_path, self.config.hh_cabins, self.config.hh_faults
        )
        self.tmb = TmbSite(seed, tmb_refuge_ids(), self.config.tmb_faults)
        self.ffcam = FfcamSite(seed, FFCAM_REFUGES, self.config.ffcam_faults)
        self._info_cache: dict[int, tuple[dict[str, Any], bytes]] = {}
        self._stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._log: IO[str] | None = None
        if self.config.served_log is not None:
            path = Path(self.config.served_log)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._log = path.open("a", encoding="utf-8", buffering=1 << 16)

    # ---- Python API ----------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The simulated time."""
        return self.clock.now()

    def advance(self, hours: float = 0.0, *, days: float = 0.0) -> dt.datetime:
        """Move the simulated clock forward; returns the new simulated time."""
        return self.clock.advance(hours * 3600.0 + days * 86400.0)

    @property
    def faults(self) -> FaultConfig:
        """The current fault settings."""
        return self._faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault settings (and restart the reproducible fault sequence)."""
        self._faults.set(faults)

    def hut_ids(self) -> list[int]:
        """All hut ids of the catalog, sorted (including ids switched to 'unknown' by faults)."""
        return sorted(self._models)

    def profile(self, hut_id: int) -> HutProfile:
        """The static profile of a hut (capacity, categories, season style); KeyError if unknown."""
        return self._models[hut_id].profile

    def state_time(self, at: dt.datetime | None = None) -> float:
        """The simulated time, quantized to the tick, as a Unix timestamp: what states depend on."""
        ts = self.clock.timestamp() if at is None else at.timestamp()
        tick = self.config.tick_seconds
        return math.floor(ts / tick) * tick

    def availability(self, hut_id: int, at: dt.datetime | None = None) -> list[DayState]:
        """The days a well-formed answer for `hut_id` has at simulated time `at` (default: now)."""
        return self._models[hut_id].answer(self.state_time(at) / 3600.0).days

    def warm(self) -> None:
        """Precompute season plans and today's answers of every hut, so first fetches are fast too."""
        for hut_id in self._models:
            self.availability(hut_id)
            self._hut_info(hut_id)

    def hut_info(self, hut_id: int) -> dict[str, Any]:
        """The hutInfo object of a hut (built from the catalog)."""
        return self._hut_info(hut_id)[0]

    def _hut_info(self, hut_id: int) -> tuple[dict[str, Any], bytes]:
        cached = self._info_cache.get(hut_id)
        if cached is None:
            info = hut_info(self._models[hut_id].profile)
            cached = (info, json.dumps(info, ensure_ascii=False, separators=(",", ":")).encode())
            self._info_cache[hut_id] = cached
        return cached

    def state(self) -> dict[str, Any]:
        """Clock, fault settings and request counters, as served by `GET /_sim/state`."""
        with self._lock:
            stats = dict(self._stats)
        return {
            "sim_time": self.now().isoformat(timespec="microseconds"),
            "real_time": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "speed": self.clock.speed,
            "advanced_hours": self.clock.advanced_seconds / 3600.0,
            "tick_seconds": self.config.tick_seconds,
            "seed": self.config.seed,
            "huts": len(self._models),
            "served_log": None if self.config.served_log is None else str(self.config.served_log),
            "faults": self.faults.to_dict(),
            "requests": stats,
        }

    # ---- served-state log ----------------------------------------------------------------
    def record_served(self, served: tuple[int, float, Answer], served_at: dt.datetime) -> None:
        """Append the served-state line of an answer that was sent at real time `served_at`."""
        hut_id, state_ts, answer = served
        line = (
            f'{{"source":"hrs","hut_id":{hut_id},"served_at":"{served_at.isoformat(timespec="microseconds")}",'
            f'"sim_time":"{_iso(state_ts)}","days":{answer.log_days_json()}}}\n'
        )
        self._write_served(line)

    def record_served_month(self, served: ServedMonth, served_at: dt.datetime) -> None:
        """Append the served-state line of a Hütten-Holiday month answer sent at real time `served_at`."""
        entry = {
            "source": "huetten-holiday",
            "hut_id": served.cabin_id,
            "served_at": served_at.isoformat(timespec="microseconds"),
            "sim_time": _iso(served.state_ts),
            "month": served.month,
            "days": served.days,
        }
        self._write_served(json.dumps(entry, separators=(",", ":")) + "\n")

    def record_served_nights(self, served: dict[str, Any], served_at: dt.datetime) -> None:
        """Append the served-state line of a TMB or FFCAM answer: `{"source", "hut_id", "served_at",
        "sim_time", "days": [[date, free, closed], ...]}`."""
        entry = {
            **served,
            "served_at": served_at.isoformat(timespec="microseconds"),
            "sim_time": _iso(self.state_time()),
        }
        self._write_served(json.dumps(entry, separators=(",", ":")) + "\n")

    def _write_served(self, line: str) -> None:
        with self._lock:
            self._stats["served"] += 1
            if self._log is not None:
                self._log.write(line)
                self._log.flush()

    def close(self) -> None:
        """Flush and close the served log."""
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    # ---- HTTP routing --------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Answer one request (`query` as from `urllib.parse.parse_qs`; `headers` with lower-case names)."""
        try:
            response = self._route(method, path.rstrip("/") or "/", query, body, headers or {})
        except (ValueError, TypeError) as exc:
            response = _json(400, {"status": 400, "error": "Bad Request", "message": str(exc)})
        except Exception:
            log.exception("simulator failed on %s %s", method, path)
            response = _json(500, {"status": 500, "error": "Internal Server Error", "path": path})
        with self._lock:
            self._stats[str(response.status)] += 1
        return response

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Mapping[str, str]
    ) -> Response:
        if path == AVAILABILITY_PATH and method == "GET":
            raw = (query.get("hutId") or [""])[0]
            if not raw.strip().lstrip("-").isdigit():
                raise ValueError(f"hutId must be an integer, got {raw!r}")
            return self._availability(int(raw), path)
        if path.startswith(HUT_INFO_PREFIX) and method == "GET":
            raw = path[len(HUT_INFO_PREFIX) :]
            if not raw.lstrip("-").isdigit():
                raise ValueError(f"hut id must be an integer, got {raw!r}")
            return self._hut_info_response(int(raw), path)
        if path.startswith("/_sim/"):
            return self._control(method, path, query, body)
        answer = self.huetten_holiday.handle(method, path, query, body, headers, self.state_time())
        if answer is not None:
            return Response(
                answer.status,
                answer.body,
                answer.content_type,
                delay=answer.delay,
                served_month=answer.served,
                headers=answer.headers,
            )
        now = dt.datetime.fromtimestamp(self.state_time(), dt.UTC)
        alpine: AlpineAnswer | None = self.tmb.handle(method, path, query, now) or self.ffcam.handle(
            method, path, body, now
        )
        if alpine is not None:
            return Response(
                alpine.status, alpine.body, alpine.content_type, delay=alpine.delay, served_nights=alpine.served
            )
        return _json(404, {"status": 404, "error": "Not Found", "path": path})

    def _error(self, status: int, path: str) -> Response:
        if status == 403:
            return Response(403, FORBIDDEN_HTML, HTML)
        if status == 429:
            return Response(429, TOO_MANY_HTML, HTML)
        if status in (502, 503, 504):
            reason = _REASONS[status].encode()
            return Response(status, GATEWAY_HTML % (status, reason, status, reason), HTML)
        message = "Hut not found" if status == 404 else None
        payload = {
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "status": status,
            "error": _REASONS.get(status, "Error"),
            "message": message,
            "path": path,
        }
        return _json(status, payload)

    def _availability(self, hut_id: int, path: str) -> Response:
        decision = self._faults.decide("availability", hut_id)
        if decision.status is not None:
            return self._error(decision.status, path)
        model = self._models.get(hut_id)
        if model is None:
            return self._error(404, path)
        state_ts = self.state_time()
        answer = model.answer(state_ts / 3600.0)
        if decision.malformed and decision.rng is not None:
            broken = malform_availability(day_dicts(answer.days), answer.body, decision.malformed, decision.rng)
            return Response(200, broken, delay=decision.delay)
        return Response(200, answer.body, delay=decision.delay, served=(hut_id, state_ts, answer))

    def _hut_info_response(self, hut_id: int, path: str) -> Response:
        decision = self._faults.decide("hutInfo", hut_id)
        if decision.status is not None:
            return self._error(decision.status, path)
        if hut_id not in self._models:
            return self._error(404, path)
        info, body = self._hut_info(hut_id)
        if decision.malformed and decision.rng is not None:
            body = malform_hut_info(info, body, decision.malformed, decision.rng)
        return Response(200, body, delay=decision.delay)

    def _control(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        if path == "/_sim/state" and method == "GET":
            return _json(200, self.state())
        if path == "/_sim/advance" and method == "POST":
            hours = float((query.get("hours") or ["0"])[0]) + 24.0 * float((query.get("days") or ["0"])[0])
            self.advance(hours=hours)
            return _json(200, self.state())
        if path == "/_sim/clock" and method == "POST":
            if "speed" in query:
                self.clock.set_speed(float(query["speed"][0]))
            return _json(200, self.state())
        if path == "/_sim/free" and method == "POST":
            try:
                hut_id = int(query["hut"][0])
                night = dt.date.fromisoformat(query["date"][0])
                places = int(query["places"][0])
            except (KeyError, ValueError) as exc:
                return _json(400, {"status": 400, "error": f"need hut=ID&date=YYYY-MM-DD&places=N ({exc})"})
            model = self._models.get(hut_id)
            if model is None:
                return _json(404, {"status": 404, "error": f"no hut {hut_id} in the simulator"})
            try:
                day = model.free(night, places, self.state_time() / 3600.0)
            except ValueError as exc:
                return _json(409, {"status": 409, "error": str(exc)})
            return _json(200, {"hut": hut_id, "date": night.isoformat(), "free": day.free, "total": day.total})
        if path == "/_sim/faults":
            if method == "POST":
                self.set_faults(self._fault_change(self.faults, body))
            return _json(200, self.faults.to_dict())
        if path in ("/_sim/tmb/faults", "/_sim/ffcam/faults"):
            other = self.tmb if path == "/_sim/tmb/faults" else self.ffcam
            if method == "POST":
                other.set_faults(self._fault_change(other.faults, body))
            return _json(200, other.faults.to_dict())
        if path == "/_sim/huetten-holiday/faults":
            site = self.huetten_holiday
            if method == "POST":
                site.set_faults(self._fault_change(site.faults, body))
            return _json(200, site.faults.to_dict())
        return _json(404, {"status": 404, "error": "Not Found", "path": path})

    @staticmethod
    def _fault_change(current: FaultConfig, body: bytes) -> FaultConfig:
        payload = json.loads(body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError("the fault settings must be a JSON object")
        base = FaultConfig() if payload.pop("reset", False) else current
        return base.updated(payload)
