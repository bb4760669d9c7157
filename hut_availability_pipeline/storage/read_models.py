"""What the read side returns: huts, their current days, states from the history, filters and
rows of the availability browser. Plain frozen dataclasses, built by name from query rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import HutAvailabilityError

LIST_HUTS_COMMAND = "hut-availability huts list"


class UnknownHutError(HutAvailabilityError, LookupError):
    """No hut has this id or slug (or any of these slugs): the one unknown-hut error of the read
    side, the CLI, the API (404) and the pages (404).

    `what` names the unknown huts ("no hut with slug 'nope'"); the message adds the command that
    lists the huts there are."""

    def __init__(self, *huts: int | str) -> None:
        if not huts:
            raise TypeError("UnknownHutError names at least one hut")
        self.huts = huts
        ids = [str(h) for h in huts if isinstance(h, int)]
        slugs = [repr(h) for h in huts if not isinstance(h, int)]
        parts = [f"id{'s' if len(ids) > 1 else ''} {', '.join(ids)}"] if ids else []
        parts += [f"slug{'s' if len(slugs) > 1 else ''} {', '.join(slugs)}"] if slugs else []
        self.what = f"no hut with {' or '.join(parts)}"
        super().__init__(f"{self.what} (the huts there are: {LIST_HUTS_COMMAND})")


@dataclass(frozen=True)
class HutInfo:
    """A hut as the read side shows it."""

    hut_id: int
    slug: str
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    elevation: int | None
    capacity: int | None
    source: str | None
    source_hut_id: str | None
    is_active: bool


@dataclass(frozen=True)
class DayAvailability:
    """The current state of a hut on one availability date (a row of `hut_availability`)."""

    availability_date: dt.date
    free: int | None
    total: int | None
    occupancy_percent: float | None
    occupancy_steps: int | None
    occupancy_status: str
    reservation_status: str
    hut_type: str
    day_state: str
    link: str | None
    first_checked: dt.datetime
    last_checked: dt.datetime


@dataclass(frozen=True)
class HutAvailability:
    """A hut with its days in a date range (days without a stored state are absent)."""

    hut: HutInfo
    days: list[DayAvailability] = field(default_factory=list)

    @property
    def last_checked(self) -> dt.datetime | None:
        """The newest check among its days (None without days)."""
        return max((d.last_checked for d in self.days), default=None)


@dataclass(frozen=True)
class MapPage:
    """A page of huts for the map, the date range it covers and how many huts match in all."""

    date_from: dt.date
    date_to: dt.date
    huts: list[HutAvailability]
    matched: int
    offset: int = 0
    limit: int | None = None

    @property
    def last_checked(self) -> dt.datetime | None:
        """The newest check on the page (None when it holds no state)."""
        return max((c for h in self.huts if (c := h.last_checked) is not None), default=None)


@dataclass(frozen=True)
class HutState:
    """One state of a hut-date from the history, with its effective last check and duration.

    `superseded_at` is the first check of the next state (None while the state is the latest);
    a state is in force from `first_checked` until then.
    """

    state_id: int
    free: int | None
    total: int | None
    occupancy_percent: float | None
    hut_type: str
    reservation_status: str
    day_state: str
    first_checked: dt.datetime
    last_checked: dt.datetime | None
    duration_seconds: float | None
    superseded_at: dt.datetime | None

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def in_force_seconds(self) -> float | None:
        """How long the state was in force: from its first check until the next state's first
        check; the current one until its last check (so far).

        Not `duration_seconds` (first to last check of the state itself): a state seen once and
        replaced 10 minutes later has a last check equal to its first, and was shown as "0 s"."""
        if self.superseded_at is None:
            return self.duration_seconds
        return (self.superseded_at - self.first_checked).total_seconds()


@dataclass(frozen=True)
class Trend:
    """The states of one hut-date in force at some time in [window_start, window_end], in order."""

    hut: HutInfo
    availability_date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    states: list[HutState]


@dataclass(frozen=True)
class HutDateHistory:
    """Every state of one hut-date, oldest first."""

    hut: HutInfo
    availability_date: dt.date
    states: list[HutState]


SORT_KEYS = ("name", "date", "free", "total", "occupancy", "state", "last_checked")
MAX_PAGE_ROWS = 10_000


@dataclass(frozen=True)
class AvailabilityFilter:
    """Which hut-dates of the current state to read, in which order, which page: the one filter of
    `show`, the API's `/v1/availability`, the web table and its CSV.

    An empty tuple or None means "any"; a `date_to` before `date_from` matches nothing. `min_free`
    is the party size (nights with at least that many free places); `search` matches a hut's name
    or slug, any case, anywhere in it. Rows are sorted by `sort` (one of SORT_KEYS), then by hut
    slug and date. `limit` None: every row (`show --limit 0`)."""

    date_from: dt.date
    date_to: dt.date
    day_states: tuple[str, ...] = ()
    occupancy_statuses: tuple[str, ...] = ()
    reservation_statuses: tuple[str, ...] = ()
    hut_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_free: int | None = None
    search: str | None = None
    sort: str = "name"
    descending: bool = False
    offset: int = 0
    limit: int | None = 100

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"sort {self.sort!r}: use one of {', '.join(SORT_KEYS)}")
        if self.offset < 0 or (self.limit is not None and self.limit < 1):
            raise ValueError(f"offset ({self.offset}) must be >= 0 and limit ({self.limit}) >= 1 or None (all)")


@dataclass(frozen=True)
class AvailabilityRow(DayAvailability):
    """One hut-date of the current state (a day's columns) with its hut's slug, name and source."""

    slug: str
    name: str
    source: str | None
    source_hut_id: str | None


@dataclass(frozen=True)
class AvailabilityPage:
    """The rows of one page for `filters`, and how many rows pass the filters on every page."""

    rows: list[AvailabilityRow]
    matched: int
    filters: AvailabilityFilter


@dataclass(frozen=True)
class MapGeoJSON:
    """for_map's page as GeoJSON text (keys as in the API's HutFeatureCollection)."""

    text: str
    date_from: dt.date
    date_to: dt.date
    last_checked: dt.datetime | None  # the newest check on the page
