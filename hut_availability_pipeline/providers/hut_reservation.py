"""Booking provider for hut-reservation.org (SAC/CAS, ÖAV, DAV, AVS ...): fetch and map availability.

`parse_availability` maps one answer of `GET /api/v1/reservation/getHutAvailability?hutId=N` to
hut-services bookings. Mapping rules of one day (anything else makes the day a `RejectedDay`):

- availability date: the date part of `date` when it is written as midnight
  (`2026-07-19T00:00:00Z`, a calendar date, never shifted by a time zone). Real answers also carry
  instants with a time of day and up to nine fractional digits (`2026-10-31T11:59:15.919274861Z`,
  on the last open day before a closure and on far-future days): then the day is `dateFormatted`
  (DD.MM.YYYY), which always gives the calendar day, and the date part only when that is missing.
  Days before `start` (and, when `days` is given, from `start + days` on) are dropped silently;
  otherwise every day the site serves is kept (horizons differ per hut, from 15 to 731 days).
- `hutStatus` must be a string; with the published places it gives the day state
  (`domain.mapping.day_state_for`): SERVICED → bookable / full / not bookable online,
  UNSERVICED/NOT_SERVICED → winter room, CLOSED → closed, any other string → unknown (kept, logged
  as a warning). The hut type follows the status (open type, closed type, `closed`, `unknown`).
- `freeBeds`/`totalSleepingPlaces` must be JSON integers in [0, MAX_PLACES] or null; strings
  such as "5", floats and booleans are rejected, never coerced. null or missing means "not
  published" and is stored as NULL, never as 0: a SERVICED day with `freeBeds` null (and
  `totalSleepingPlaces` 0, `freeBedsPerCategory` {}) is *not bookable online*, which real answers
  show on busy nights and before a season opens for booking.
- A night without places offered (closed, not bookable online) is stored as free NULL, total 0,
  as real answers give it, whatever other counts a day may carry: a free number there would make
  it look bookable, a total would make hut-services read the free count as "not published".
- free > total is kept: hut-services' `PlacesSchema` raises total to free.
- Far-future days that a warden has not configured yet come with every bed free (72/72,
  AVAILABLE): they are stored as served; they are what the site offers.
- duplicate dates: the first valid entry of a date wins; later valid ones are rejected.

Whole-answer problems raise `ProviderAnswerError`: not a JSON array, an empty array, a required
field absent from every day (format drift; `availableBeds`/`bedCategoriesData` are the field names
of another endpoint, `checkAvailability`, so an answer with them is the wrong endpoint or a
changed one), or no usable day at all while some were rejected.

`HutReservationService` fetches huts one at a time with pacing, retries and a circuit breaker.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib.metadata
import json
import logging
import random
import re
import socket
import time
import urllib.parse
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx
import orjson
from hut_services import BaseService
from hut_services.core.schema import TotalFallback

from ..domain.bookings import (
    HutBookingsSchema,
    HutFetchResult,
    HutRef,
    HutTypeEnum,
    Night,
    PlacesSchema,
    RejectedDay,
    occupancy_of,
)
from ..domain.mapping import (
    CLOSED,
    KNOWN_HUT_STATUSES,
    NO_PLACES_OFFERED,
    SERVICED,
    day_state_for,
    hut_type_for_status,
)
from .http import BLOCK_STATUSES, CircuitBreaker, Pacer, RetryPolicy, is_retryable_status, parse_retry_after

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_REQUEST_INTERVAL",
    "MAX_PLACES",
    "SOURCE",
    "HutReservationService",
    "ProviderAnswerError",
    "booking_link",
    "catalog_hut_ids",
    "hut_ref_for",
    "parse_availability",
]

logger = logging.getLogger(__name__)

SOURCE = "hut-reservation.org"
DEFAULT_BASE_URL = "https://www.hut-reservation.org"
DEFAULT_REQUEST_INTERVAL = 1.0
"""Seconds between request starts. The site's firewall answers bursts with 403; long-running public
crawlers report that about 1 request per second per client is tolerated."""
DEFAULT_TIMEZONE = "Europe/Zurich"
MAX_PLACES = 100_000
"""Sanity bound on free/total places: no hut has more; larger numbers are garbage (and would
overflow an integer column, losing the whole batch)."""

OLD_FIELD_NAMES = ("availableBeds", "bedCategoriesData")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIDNIGHT = re.compile(r"(?:[T ]00:00(?::00(?:\.0*)?)?)?(?:Z|[+-]00:?00)?")
"""What may follow the date part of a `date` written as a calendar day (midnight UTC)."""
_SWISS_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
_CATALOG_DIR = Path(__file__).resolve().parent.parent / "data"


class ProviderAnswerError(ValueError):
    """The provider's whole answer for one hut is unusable; the message names the hut and the problem."""

    def __init__(self, hut_id: str, message: str) -> None:
        super().__init__(message)
        self.hut_id = hut_id


def booking_link(source_hut_id: int | str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The hut's booking page on the site (what users want to open)."""
    return f"{_site_url(base_url)}/reservation/book-hut/{source_hut_id}/wizard"


def hut_ref_for(source_hut_id: int | str) -> HutRef:
    """A `HutRef` for a bare hut-reservation.org id (hut-services' `get_bookings` knows only ids)."""
    text = str(source_hut_id).strip()
    return HutRef(
        hut_id=int(text) if text.isdigit() else 0,
        slug=f"hrs-{text}",
        source=SOURCE,
        source_hut_id=text,
    )


def catalog_hut_ids() -> list[int]:
    """Hut ids of the newest packaged catalog (`data/hut_catalog_*.json`): the site lists no huts publicly."""
    files = sorted(_CATALOG_DIR.glob("hut_catalog_*.json"))
    if not files:
        raise FileNotFoundError(f"no hut catalog (hut_catalog_*.json) in {_CATALOG_DIR}; pass source_ids")
    catalog = json.loads(files[-1].read_text(encoding="utf-8"))
    return [int(h["hutId"]) for h in catalog["huts"]]


# --------------------------------------------------------------------------------------------- parsing


def decode_json(content: bytes) -> Any:
    """The answer's JSON. orjson decodes a year of days about 4× faster than the standard library;
    what it refuses and the standard library accepts (integers beyond 64 bits, NaN) is decoded by
    the standard library, so that the parser still rejects such a day alone, not the whole answer."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def _describe(value: object) -> str:
    """Short repr of a bad value for a rejection reason."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _day_date(entry: Mapping[str, Any]) -> tuple[dt.date | None, str | None]:
    """The availability date of one entry and its text for reports: the date part of `date` when
    it is written as midnight, else `dateFormatted` (the calendar day of an instant with a time of
    day), else the date part of `date`."""
    raw = entry.get("date")
    from_date: dt.date | None = None
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw[:10]):
        try:
            from_date = dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
        else:
            if _MIDNIGHT.fullmatch(raw[10:]):
                return from_date, raw[:10]
    formatted = entry.get("dateFormatted")
    if isinstance(formatted, str) and (m := _SWISS_DATE.fullmatch(formatted.strip())):
        try:
            day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return day, day.isoformat()
        except ValueError:
            pass
    if from_date is not None:
        return from_date, from_date.isoformat()
    shown = raw if isinstance(raw, str) else formatted if isinstance(formatted, str) else None
    return None, shown[:40] if shown is not None else None


def _places_value(entry: Mapping[str, Any], key: str) -> tuple[int | None, str | None]:
    """(value, None) for a valid count or null/missing (value None); (None, reason) for a bad one."""
    value = entry.get(key)
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"{key} is not an integer: {_describe(value)}"
    if value < 0:
        return None, f"{key} is negative: {value}"
    if value > MAX_PLACES:
        return None, f"{key} is implausibly large: {value} (more than {MAX_PLACES})"
    return value, None


def _day_values(entry: Mapping[str, Any]) -> tuple[str, int | None, int | None] | str:
    """(hutStatus, free, total) of a usable day, or the reason why the day is not usable."""
    status = entry.get("hutStatus")
    if status is None:
        return f"hutStatus is {'null' if 'hutStatus' in entry else 'missing'}"
    if not isinstance(status, str):
        return f"hutStatus is not a string: {_describe(status)}"
    total, problem = _places_value(entry, "totalSleepingPlaces")
    if problem is not None:
        return problem
    if status == CLOSED:
        return status, None, 0  # closed: no places offered, whatever the counts say
    if "freeBeds" not in entry:
        return "freeBeds is missing"  # null is "not published"; a day without the field is another shape
    free, problem = _places_value(entry, "freeBeds")
    if problem is not None:
        return problem
    return status, free, total


def _check_whole_answer(payload: object, hut: HutRef) -> list[object]:
    """Raise `ProviderAnswerError` when the answer as a whole is unusable; return it as a list."""
    hid = hut.source_hut_id
    if not isinstance(payload, list):
        raise ProviderAnswerError(
            hid,
            f"hut {hid}: getHutAvailability answered a {type(payload).__name__}, not a JSON array of days"
            " (unknown hut or changed format)",
        )
    if not payload:
        raise ProviderAnswerError(hid, f"hut {hid}: getHutAvailability answered an empty list (no days)")
    entries = [e for e in payload if isinstance(e, dict)]
    if not entries:
        raise ProviderAnswerError(hid, f"hut {hid}: none of the {len(payload)} entries of the answer is a JSON object")
    seen: set[str] = set().union(*(e.keys() for e in entries))
    if "freeBeds" not in seen:
        old = [name for name in OLD_FIELD_NAMES if name in seen]
        if old:
            raise ProviderAnswerError(
                hid,
                f"hut {hid}: no day has 'freeBeds' but the answer uses the old field names {old}: the"
                " provider's format changed; update providers/hut_reservation.py",
            )
    missing = [key for key in ("freeBeds", "hutStatus") if key not in seen]
    if "date" not in seen and "dateFormatted" not in seen:
        missing.append("date")
    if missing:
        raise ProviderAnswerError(
            hid,
            f"hut {hid}: no day of the answer has the field(s) {missing} (fields seen: {sorted(seen)[:12]}):"
            " the provider's format changed; update providers/hut_reservation.py",
        )
    return payload


def parse_availability(
    payload: object,
    hut: HutRef,
    start: dt.date,
    days: int | None,
    *,
    total_fallback: TotalFallback | None = None,
) -> tuple[list[Night], list[RejectedDay]]:
    """Map one getHutAvailability answer to nights from `start` on (for `days` days, or every day
    the site serves when `days` is None), plus the rejected days.

    Rules: see the module docstring. Bad days never raise; whole-answer problems raise
    `ProviderAnswerError`. `total_fallback` is only passed through to `PlacesSchema` for consumers.
    """
    if days is not None and days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    entries = _check_whole_answer(payload, hut)
    end = start + dt.timedelta(days=days) if days is not None else dt.date.max
    bookings: dict[dt.date, Night] = {}
    first_index: dict[dt.date, int] = {}
    # hut-services' places of each distinct (free, total) of the answer, validated once (a year of
    # days has a few dozen distinct pairs), with their computed occupancy
    places_of: dict[tuple[int | None, int | None], tuple[PlacesSchema, Any]] = {}
    open_type, closed_type = hut.hut_type_open, hut.hut_type_closed
    rejected: list[RejectedDay] = []
    unknown_statuses: collections.Counter[str] = collections.Counter()

    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            rejected.append(RejectedDay(index, None, f"entry is not an object: {_describe(entry)}"))
            continue
        day, day_text = _day_date(entry)
        if day is None:
            reason = "no valid 'date' (YYYY-MM-DD...) or 'dateFormatted' (DD.MM.YYYY)"
            rejected.append(RejectedDay(index, day_text, reason))
            continue
        if not start <= day < end:
            continue
        values = _day_values(entry)
        if isinstance(values, str):
            rejected.append(RejectedDay(index, day_text, values))
            continue
        status, free, total = values
        if day in bookings:
            rejected.append(RejectedDay(index, day_text, f"duplicate date: entry #{first_index[day]} already gave it"))
            continue
        if status not in KNOWN_HUT_STATUSES:
            unknown_statuses[status] += 1
        state = day_state_for(status, free, total)
        if state in NO_PLACES_OFFERED:
            free, total = None, 0
        known = places_of.get((free, total))
        if known is None:
            places = PlacesSchema(free=free, total=total, free_tolerance=0, total_fallback=total_fallback)
            known = places_of[(free, total)] = (places, occupancy_of(places))
        hut_type = hut_type_for_status(status, open_type, closed_type)
        bookings[day] = Night(day, state, hut_type, status != SERVICED, known[0], known[1])
        first_index[day] = index

    if unknown_statuses:
        logger.warning(
            "hut %s: unknown hutStatus values %s kept with hut type %r",
            hut.source_hut_id,
            dict(unknown_statuses),
            HutTypeEnum.unknown.value,
        )
    if not bookings and rejected:
        first = rejected[0]
        raise ProviderAnswerError(
            hut.source_hut_id,
            f"hut {hut.source_hut_id}: no usable day, all {len(rejected)} day(s) in question were rejected;"
            f" first: entry #{first.index} ({first.date}): {first.reason}",
        )
    return sorted(bookings.values(), key=lambda n: n.date), rejected


# --------------------------------------------------------------------------------------------- service


def _site_url(base_url: str) -> str:
    """The site root: no trailing slash, no `/api/v1` (accepted for convenience)."""
    url = base_url.strip().rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


def _user_agent() -> str:
    try:
        version = importlib.metadata.version("hut-availability-pipeline")
    except importlib.metadata.PackageNotFoundError:
        version = "dev"
    return (
        f"hut-availability-pipeline/{version} (availability tracker for mountain huts;"
        f" paced at about 1 request/s) python-httpx/{httpx.__version__}"
    )


def _source_key(hut: HutRef) -> int | str:
    return int(hut.source_hut_id) if hut.source_hut_id.isdigit() else hut.source_hut_id


# Network trouble that may pass; other httpx errors (bad URL, unsupported protocol) will not.
_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class HutReservationService(BaseService[Any]):
    """hut-reservation.org as a hut-services booking service, fetching one hut per request.

    Politeness: request starts are paced `request_interval` apart; 403/429/5xx, timeouts and
    connection errors are retried per `retry`; `breaker` cools the client down after repeated
    blocks. Not thread-safe: use one instance per thread.
    """

    def __init__(
        self,
        base_url: str | None = None,
        request_interval: float = DEFAULT_REQUEST_INTERVAL,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(support_booking=True)
        if request_interval < 0:
            raise ValueError(f"request_interval must not be negative, got {request_interval}")
        self.base_url = _site_url(base_url or DEFAULT_BASE_URL)
        self.api_url = f"{self.base_url}/api/v1"
        self.request_interval = request_interval
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.headers = {"User-Agent": _user_agent(), "Accept": "application/json"}
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._pacer = Pacer(clock, sleep)
        self.permanent_failures: set[str] = set()
        """Source hut ids whose last fetch failed in a way no retry mends (HTTP 404 and other 4xx,
        a bad id, an unusable answer): callers do not retry them soon."""

    # -- lifecycle

    def close(self) -> None:
        """Close the HTTP client if this service created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HutReservationService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- fetching

    def booking_link(self, hut: HutRef) -> str:
        """The hut's booking page on this service's site."""
        return booking_link(hut.source_hut_id, self.base_url)

    def fetch_hut(self, hut: HutRef, start: dt.date, days: int | None = None) -> HutFetchResult:
        """Fetch and map one hut; provider trouble ends up in `error`, never raised."""
        return self._fetch(hut, start, days, self.request_interval, None)

    def iter_bookings(
        self,
        huts: Iterable[HutRef],
        start: dt.date,
        days: int | None = None,
        request_interval: float | None = None,
    ) -> Iterator[HutFetchResult]:
        """Fetch huts one at a time and yield each result as it arrives (streaming, bounded memory).

        Request starts are kept `request_interval` (default: the service's) apart, counting the
        consumer's time between yields, so storing one hut overlaps the wait for the next.
        """
        interval = self.request_interval if request_interval is None else request_interval
        if interval < 0:
            raise ValueError(f"request_interval must not be negative, got {interval}")
        for hut in huts:
            yield self._fetch(hut, start, days, interval, None)

    def get_bookings(
        self,
        date: dt.datetime | dt.date | Literal["now"] | None = None,
        days: int | None = None,
        source_ids: list[int | str] | None = None,
        lang: str = "de",
        request_interval: float | None = None,
        total_fallback: TotalFallback | Mapping[int | str, TotalFallback] | None = None,
    ) -> dict[int | str, HutBookingsSchema]:
        """hut-services' interface: bookings keyed by source id; huts that fail are left out (logged).

        `date` None/"now" means today in Europe/Zurich; `days` None means every day the site serves; `source_ids` None
        means every hut of the packaged catalog. `lang` is accepted for compatibility: the
        availability answer has no text to translate.
        """
        start = _start_date(date)
        span = days
        if span is not None and span < 1:
            raise ValueError(f"days must be at least 1, got {span}")
        ids: list[int | str] = list(source_ids) if source_ids is not None else list(catalog_hut_ids())
        interval = self.request_interval if request_interval is None else request_interval
        if interval < 0:
            raise ValueError(f"request_interval must not be negative, got {interval}")
        result: dict[int | str, HutBookingsSchema] = {}
        for source_id in ids:
            hut = hut_ref_for(source_id)
            fallback = _fallback_for(total_fallback, source_id, hut)
            fetched = self._fetch(hut, start, span, interval, fallback)
            if fetched.ok and fetched.bookings is not None:
                result[source_id] = fetched.bookings
            else:
                logger.warning("left out of get_bookings: %s", fetched.error)
        return result

    # -- internals

    def _fetch(
        self,
        hut: HutRef,
        start: dt.date,
        days: int | None,
        interval: float,
        total_fallback: TotalFallback | None,
    ) -> HutFetchResult:
        if days is not None and days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        began = self._clock()
        attempts = 0
        self.permanent_failures.discard(hut.source_hut_id)

        def failed(message: str, *, permanent: bool = False) -> HutFetchResult:
            logger.info("fetch failed: %s", message)
            if permanent:
                self.permanent_failures.add(hut.source_hut_id)
            return HutFetchResult(
                hut=hut,
                received_at=dt.datetime.now(dt.UTC),
                error=message,
                requests=attempts,
                seconds=self._clock() - began,
            )

        hid = hut.source_hut_id
        if not hid.isdigit():
            return failed(
                f"hut {hid!r} ({hut.slug}): not a hut-reservation.org hut id (expected digits); fix its source hut id",
                permanent=True,
            )
        url = f"{self.api_url}/reservation/getHutAvailability"
        while True:
            if (left := self.breaker.unreachable_for()) > 0:
                return failed(
                    f"hut {hid} ({hut.slug}): not asked, {self.breaker.unreachable}; the provider cools down"
                    f" {left:.0f} s more before the next request"
                )
            cooldown = self.breaker.take_cooldown()
            if cooldown > 0:
                logger.warning("provider blocked: cooling down %.1f s before asking for hut %s", cooldown, hid)
                self._sleep(cooldown)
            self._pacer.wait(interval)
            attempts += 1
            retry_after: float | None = None
            try:
                response = self._client.get(url, params={"hutId": hid}, headers=self.headers, timeout=self.timeout)
            except httpx.ConnectError as exc:
                reason = self._unreachable(exc)
                self.breaker.trip(reason)
                return failed(
                    f"hut {hid} ({hut.slug}): {reason}; cooling down {self.breaker.cooldown:g} s, the other huts"
                    " are not asked until then"
                )
            except _RETRYABLE_ERRORS as exc:
                problem = f"{type(exc).__name__} ({exc or 'no detail'}; timeout {self.timeout:g} s)"
            except httpx.HTTPError as exc:
                return failed(f"hut {hid} ({hut.slug}): request to {url} failed: {type(exc).__name__}: {exc}")
            else:
                status = response.status_code
                if 200 <= status < 300:
                    received_at = dt.datetime.now(dt.UTC)
                    self.breaker.record_success()
                    return self._mapped(hut, response, start, days, total_fallback, received_at, attempts, began)
                if status == 404:
                    return failed(
                        f"hut {hid} unknown to the provider (HTTP 404); check the source hut id of {hut.slug}"
                        f" (asked {self.host})",
                        permanent=True,
                    )
                if not is_retryable_status(status):
                    return failed(
                        f"hut {hid} ({hut.slug}): HTTP {status} from getHutAvailability"
                        f" (not retried; asked {self.host})",
                        permanent=True,
                    )
                if status in BLOCK_STATUSES and self.breaker.record_block():
                    return failed(
                        f"blocked: cooling down {self.breaker.cooldown:g} s. Hut {hid} ({hut.slug}): provider"
                        f" blocked (HTTP {status}) on attempt {attempts}: {self.breaker.consecutive_blocks}"
                        " consecutive 403/429 opened the circuit breaker; the hut is retried on a later run."
                        " Lower the request rate if this recurs"
                    )
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempts >= self.retry.max_attempts:
                return failed(
                    f"hut {hid} ({hut.slug}): {problem} after {attempts} attempt(s) asking {self.host}, giving up;"
                    " it will be retried on a later run"
                )
            if retry_after is not None and retry_after > self.retry.max_delay:
                return failed(
                    f"hut {hid} ({hut.slug}): {problem} on attempt {attempts}; the provider asks to retry"
                    f" after {retry_after:.0f} s (more than max_delay {self.retry.max_delay:g} s), giving up"
                )
            delay = retry_after if retry_after is not None else self.retry.delay(attempts, self._rng)
            logger.info(
                "hut %s: %s (attempt %d/%d), retrying in %.2f s",
                hid,
                problem,
                attempts,
                self.retry.max_attempts,
                delay,
            )
            self._sleep(delay)

    @property
    def host(self) -> str:
        """The host (and port, if given) of the site, as messages name it."""
        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url

    def _unreachable(self, exc: httpx.ConnectError) -> str:
        """Why the site cannot be reached, naming the host and what to check."""
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, OSError):
            cause = cause.__cause__ or cause.__context__
        detail = str(cause or exc) or type(exc).__name__
        setting = f"HRS_BASE_URL ({self.base_url})"
        if isinstance(cause, socket.gaierror):
            return f"the name {self.host} does not resolve ({detail}); check {setting} and the DNS"
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"{self.host} refuses connections ({detail}); check that the site (or the simulator) runs"
                f" there and {setting}"
            )
        return f"cannot connect to {self.host} ({detail}); check the network and {setting}"

    def _mapped(
        self,
        hut: HutRef,
        response: httpx.Response,
        start: dt.date,
        days: int | None,
        total_fallback: TotalFallback | None,
        received_at: dt.datetime,
        attempts: int,
        began: float,
    ) -> HutFetchResult:
        """Turn a 2xx answer into a fetch result (or an error naming what was wrong with it)."""
        result = HutFetchResult(hut=hut, received_at=received_at, requests=attempts)
        link = self.booking_link(hut)
        try:
            payload = decode_json(response.content)
        except ValueError as exc:
            kind = response.headers.get("content-type", "no content-type")
            result.error = (
                f"hut {hut.source_hut_id} ({hut.slug}): HTTP {response.status_code} answer is not valid JSON"
                f" ({exc}; {kind}, {len(response.content)} bytes, starting {response.text[:60]!r})"
            )
        else:
            try:
                nights, rejected = parse_availability(payload, hut, start, days, total_fallback=total_fallback)
            except ProviderAnswerError as exc:
                result.error = str(exc)
                self.permanent_failures.add(hut.source_hut_id)  # the same answer again would fail the same way
            else:
                result.nights = nights
                result.start_date = start
                result.days = days if days is not None else _days_spanned(start, nights)
                result.link = link
                result.rejected_days = rejected
                if rejected:
                    first = rejected[0]
                    logger.warning(
                        "hut %s: %d day(s) rejected, first: entry #%d (%s): %s",
                        hut.source_hut_id,
                        len(rejected),
                        first.index,
                        first.date,
                        first.reason,
                    )
        if result.error:
            logger.info("fetch failed: %s", result.error)
        result.seconds = self._clock() - began
        return result


def _days_spanned(start: dt.date, nights: list[Night]) -> int:
    """How many days from `start` the nights reach (nights are sorted by date)."""
    return (nights[-1].date - start).days + 1 if nights else 0


def _start_date(date: dt.datetime | dt.date | str | None) -> dt.date:
    """The first availability date: None/"now" → today in Europe/Zurich; a datetime → its Zurich date."""
    zone = zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)
    if date is None or date == "now":
        return dt.datetime.now(zone).date()
    if isinstance(date, dt.datetime):
        return date.astimezone(zone).date() if date.tzinfo is not None else date.date()
    if isinstance(date, dt.date):
        return date
    raise ValueError(f"date must be a date, a datetime, 'now' or None, got {date!r}")


def _fallback_for(
    total_fallback: TotalFallback | Mapping[int | str, TotalFallback] | None,
    source_id: int | str,
    hut: HutRef,
) -> TotalFallback | None:
    """The caller's fallback totals for one hut (one for all, or looked up by id or slug)."""
    if total_fallback is None or isinstance(total_fallback, TotalFallback):
        return total_fallback
    for key in (source_id, str(source_id), _source_key(hut), hut.slug):
        if key in total_fallback:
            return total_fallback[key]
    return None
