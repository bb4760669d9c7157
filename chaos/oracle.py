"""The replay oracle: compares what the simulator served, what runs committed, and what the
database holds.

It covers both providers the simulator serves, hut-reservation.org (`hrs`) and Hütten-Holiday
(`huetten-holiday`). Their hut ids overlap (cabin 21 and hut 21 are different huts), so a hut is
always keyed by (source, source hut id), and every figure is counted per source.

Three sources, and what each can prove:

- the simulator's served-state log (one line per well-formed answer sent: source, hut,
  served_at, days; for Hütten-Holiday one line per month answer): the truth of what the provider
  said. An answer may be sent and still never be stored: the client timed out, the run was
  SIGKILLed, the database restarted under the batch, or an overlapping run stored a newer check
  first (the older one is then "stale" and skipped: the later check wins, by design).
- the commit log (one entry per hut of every batch whose transaction committed, written by the
  chaos driver from the engine's `on_stored` callback): which checks were stored, with their
  receive time and the states they carried. A SIGKILLed process may have committed a batch
  without logging it; such checks are then simply not known (they weaken nothing below: the
  history must still be made of served states, and every logged check is still verified).
- the database: history and current state.

Rules (each violation is counted and printed; lost and phantom must be 0):

1. Consistency: per hut and date at most one open state; states ordered by first_checked do not
   overlap (a state's last_checked <= the next one's first_checked), two consecutive states
   differ, only the last one may be open, and the current-state row holds the last state with
   its first_checked.
2. Phantom: every history state must have been served: a served answer for that hut whose day
   has the same state (free, total, day state) and whose served_at lies in
   [first_checked - TOLERANCE, first_checked + CLOCK_SKEW]. Matching is by exact state plus
   time window, because the engine stores the time the answer was *received* (a few ms after
   the simulator's served_at, more under load). A Hütten-Holiday check asks its months one after
   the other and is stored with the receive time of its first month's answer, so its later months
   were served after that: for this source the window reaches to first_checked + CHECK_SPAN.
3. Lost: every committed, non-stale check (the engine reported no stale row for the hut) must be
   reflected exactly: for each of its dates, the history state in force at its receive time
   (first_checked <= t <= effective last_checked) has its state; and when its state differs
   from that of the previous logged check of the hut and date, that history state starts at
   exactly its receive time, or (only possible after a SIGKILL between a commit and its log
   line) at a time after the previous logged check that is no logged check's time.
   A served change whose answer was never committed is not "lost"
   (it was never stored: rolled back or stale); such changes are counted as "served changes
   not stored" for information.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

TOLERANCE = dt.timedelta(seconds=30)  # served_at → received_at (slow answers are delayed before served_at)
CLOCK_SKEW = dt.timedelta(milliseconds=50)  # same host and clock: received_at >= served_at, give or take
CHECK_SPAN = dt.timedelta(seconds=30)
"""Hütten-Holiday: how long after a check's receive time (its first month's answer) its last month
may be served: the chaos client asks at most 14 months, each at worst 3 attempts of 0.5 s."""
HRS = "hrs"
HUETTEN_HOLIDAY = "huetten-holiday"
TMB = "tmb"
FFCAM = "ffcam"
SOURCES = (HRS, HUETTEN_HOLIDAY, TMB, FFCAM)

# A state as both sides can express it: (free, total, day state).
State = tuple[int | None, int | None, str]
NOT_BOOKABLE_ONLINE = "not_bookable_online"


def served_state(free: int | None, total: int | None, status: str) -> State:
    """The state a served day must be stored as, written out from the site's rules (the manual's
    mapping table) rather than taken from the parser: no places offered (CLOSED, or SERVICED with
    freeBeds null or 0 of 0) → free NULL, total 0; total raised to free."""
    if status == "CLOSED":
        return (None, 0, "closed")
    if status == "SERVICED" and (free is None or (free == 0 and total == 0)):
        return (None, 0, NOT_BOOKABLE_ONLINE)
    if free is not None and total is not None and free > total:
        total = free
    if status == "SERVICED":
        return (free, total, "bookable" if free else "full")
    return (free, total, "winter_room" if status in ("UNSERVICED", "NOT_SERVICED") else "unknown")


def served_state_hh(places: int, total_places: int) -> State:
    """The state a served Hütten-Holiday day must be stored as, written out from the site's rules
    (providers/huetten_holiday/parse.py's docstring): `totalPlaces` 0 → closed (free NULL, total
    0) whatever the rooms show; else free = the sum of rooms[].places, 0 when negative
    (overbooked), bookable or full; total raised to free."""
    if total_places == 0:
        return (None, 0, "closed")
    free = max(places, 0)
    return (free, max(total_places, free), "bookable" if free else "full")


def served_state_without_total(free: int, closed: bool) -> State:
    """The state a served TMB or FFCAM night must be stored as, written out from the sites' rules
    (domain/mapping.py's table): closed → free NULL, total 0; 0 → "no place online" (not bookable
    online, free 0, total NULL); else bookable with the total unknown."""
    if closed:
        return (None, 0, "closed")
    return (free, None, "bookable" if free > 0 else NOT_BOOKABLE_ONLINE)


def stored_state(free: int | None, total: int | None, day_state: str) -> State:
    """The state of a stored row."""
    return (free, total, day_state)


@dataclass(frozen=True)
class CommittedCheck:
    """One hut's check in a committed batch; the hut is (source, source hut id)."""

    source: str
    hut_id: int
    received_at: dt.datetime
    stale: bool
    states: dict[dt.date, State]

    def to_json(self) -> str:
        return json.dumps(
            {
                "source": self.source,
                "hut_id": self.hut_id,
                "received_at": self.received_at.isoformat(),
                "stale": self.stale,
                "states": [[d.isoformat(), *s] for d, s in self.states.items()],
            }
        )

    @classmethod
    def from_json(cls, line: str) -> CommittedCheck:
        data = json.loads(line)
        return cls(
            source=data["source"],
            hut_id=data["hut_id"],
            received_at=dt.datetime.fromisoformat(data["received_at"]),
            stale=data["stale"],
            states={dt.date.fromisoformat(d): (f, t, s) for d, f, t, s in data["states"]},
        )


@dataclass
class Figures:
    """The oracle's figures of one source."""

    served_answers: int = 0
    changes_served: int = 0
    not_bookable_online_served: int = 0  # served changes into or out of not bookable online
    changes_recorded: int = 0
    changes_not_stored: int = 0
    committed_checks: int = 0
    stale_checks: int = 0
    lost: int = 0
    phantom: int = 0
    inconsistent: int = 0


_FIGURES = tuple(Figures.__dataclass_fields__)


@dataclass
class Verdict:
    """The oracle's figures per source (`of(source)`) and over all (`total()`), and the first
    violations of each kind."""

    sources: dict[str, Figures] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def of(self, source: str) -> Figures:
        """The figures of one source (zeros when it served and stored nothing)."""
        return self.sources.setdefault(source, Figures())

    def total(self) -> Figures:
        """The figures summed over sources."""
        return Figures(**{name: sum(getattr(f, name) for f in self.sources.values()) for name in _FIGURES})

    def note(self, kind: str, text: str) -> None:
        if len(self.examples[kind]) < 5:
            self.examples[kind].append(text)

    @property
    def ok(self) -> bool:
        total = self.total()
        return total.lost == 0 and total.phantom == 0 and total.inconsistent == 0


Key = tuple[str, int, dt.date]
"""(source, source hut id, availability date)."""


@dataclass
class _Hist:
    first: dt.datetime
    last: dt.datetime | None  # effective: closed value, or the current row's last_checked
    state: State
    is_open: bool


def read_served(path: Path, window_days: int | None = None) -> dict[Key, list[tuple[dt.datetime, State]]]:
    """Served states per (source, hut, date), in served order; with `window_days`, only the dates
    a run stores (from the simulated date of the answer on, as the chaos driver asks)."""
    out: dict[Key, list[tuple[dt.datetime, State]]] = defaultdict(list)
    if not path.exists():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            entry = json.loads(line)
            source = entry["source"]
            at = dt.datetime.fromisoformat(entry["served_at"])
            hut_id = entry["hut_id"]
            first = dt.datetime.fromisoformat(entry["sim_time"]).date()
            end = first + dt.timedelta(days=window_days) if window_days else None
            for day, *values in entry["days"]:
                date = dt.date.fromisoformat(day)
                if end is None or first <= date < end:
                    if source == HUETTEN_HOLIDAY:
                        state = served_state_hh(*values)
                    elif source in (TMB, FFCAM):
                        state = served_state_without_total(*values)
                    else:
                        state = served_state(*values)
                    out[(source, hut_id, date)].append((at, state))
    for seq in out.values():
        seq.sort(key=lambda x: x[0])
    return out


def served_answers(path: Path) -> dict[str, int]:
    """Lines of the served log per source."""
    out: dict[str, int] = defaultdict(int)
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out[json.loads(line)["source"]] += 1
    return out


def read_history(conn: psycopg.Connection[Any]) -> dict[Key, list[_Hist]]:
    """History states per (source, source hut id, date), by first_checked."""
    rows = conn.execute(
        "SELECT o.slug, h.source_hut_id::integer, s.availability_date, s.free, s.total, s.day_state,"
        " s.first_checked, s.last_checked, s.is_current"
        " FROM hut_availability_history_states s JOIN huts h ON h.id = s.hut_id"
        " JOIN organizations o ON o.id = h.source_organization_id"
        " ORDER BY 1, 2, 3, s.first_checked, s.id"
    ).fetchall()
    out: dict[Key, list[_Hist]] = defaultdict(list)
    for source, hid, day, free, total, day_state, first, last, is_open in rows:
        out[(source, hid, day)].append(_Hist(first, last, stored_state(free, total, day_state), is_open))
    return out


def _served_window(source: str, first: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When an answer stored with receive time `first` may have been served (rule 2)."""
    return first - TOLERANCE, first + (CHECK_SPAN if source in (HUETTEN_HOLIDAY, TMB) else CLOCK_SKEW)


def _name(key: Key) -> str:
    source, hut_id, day = key
    return f"{source} hut {hut_id} {day}"


def check(
    conn: psycopg.Connection[Any], served_log: Path, committed: list[CommittedCheck], window_days: int | None = None
) -> Verdict:
    """Apply the three rules (module docstring); huts are keyed by (source, source hut id)."""
    v = Verdict()
    for source in SOURCES:
        v.of(source)
    served = read_served(served_log, window_days)
    history = read_history(conn)
    for source, n in served_answers(served_log).items():
        v.of(source).served_answers = n

    # rule 1: consistency, also against the current-state table
    current = {
        (source, hid, day): (first, stored_state(free, total, day_state))
        for source, hid, day, free, total, day_state, first in conn.execute(
            "SELECT o.slug, h.source_hut_id::integer, a.availability_date, a.free, a.total, a.day_state,"
            " a.first_checked FROM hut_availability a JOIN huts h ON h.id = a.hut_id"
            " JOIN organizations o ON o.id = h.source_organization_id"
        ).fetchall()
    }
    for key, states in history.items():
        figures = v.of(key[0])
        figures.changes_recorded += len(states) - 1
        opened = [s for s in states if s.is_open]
        problems = []
        if len(opened) > 1:
            problems.append(f"{len(opened)} open states")
        for a, b in itertools.pairwise(states):
            if a.is_open:
                problems.append("an open state is not the last")
            if a.last is None or a.last > b.first:
                problems.append(f"state from {a.first} overlaps the next from {b.first}")
            if a.state == b.state:
                problems.append(f"two consecutive equal states {a.state} at {a.first} and {b.first}")
        cur = current.get(key)
        if cur is None or cur != (states[-1].first, states[-1].state):
            problems.append(f"current row {cur} is not the last state {states[-1].state} from {states[-1].first}")
        if problems:
            figures.inconsistent += 1
            v.note("inconsistent", f"{_name(key)}: {'; '.join(problems)}")

    # rule 2: no phantom
    for key, states in history.items():
        seq = served.get(key, [])
        times = [t for t, _ in seq]
        for s in states:
            earliest, latest = _served_window(key[0], s.first)
            lo = bisect.bisect_left(times, earliest)
            hi = bisect.bisect_right(times, latest)
            if not any(seq[i][1] == s.state for i in range(lo, hi)):
                v.of(key[0]).phantom += 1
                v.note("phantom", f"{_name(key)}: {s.state} first checked {s.first} was never served then")

    # served changes (information) and which of them were stored
    for key, seq in served.items():
        figures = v.of(key[0])
        stored_firsts = [(s.first, s.state) for s in history.get(key, [])]
        for (_, prev), (at, state) in itertools.pairwise(seq):
            if state != prev:
                figures.changes_served += 1
                if NOT_BOOKABLE_ONLINE in (state[2], prev[2]):
                    figures.not_bookable_online_served += 1
                stored = False
                for first, st in stored_firsts:
                    earliest, latest = _served_window(key[0], first)
                    if st == state and earliest <= at <= latest:
                        stored = True
                        break
                if not stored:
                    figures.changes_not_stored += 1

    # rule 3: no committed change lost
    by_key: dict[Key, list[tuple[dt.datetime, State]]] = defaultdict(list)
    known_times: dict[tuple[str, int], set[dt.datetime]] = defaultdict(set)  # every logged commit, stale ones too
    for c in committed:
        figures = v.of(c.source)
        figures.committed_checks += 1
        known_times[(c.source, c.hut_id)].add(c.received_at)
        if c.stale:
            figures.stale_checks += 1
            continue
        for day, state in c.states.items():
            by_key[(c.source, c.hut_id, day)].append((c.received_at, state))
    for key, checks in by_key.items():
        checks.sort(key=lambda x: x[0])
        states = history.get(key, [])
        previous: tuple[dt.datetime, State] | None = None
        for at, state in checks:
            covering = [s for s in states if s.first <= at and (s.last is None or at <= s.last)]
            if not covering or covering[-1].state != state:
                v.of(key[0]).lost += 1
                found = covering[-1].state if covering else None
                v.note("lost", f"{_name(key)}: committed check at {at} saw {state}, history has {found}")
            elif previous is None or state != previous[1]:
                # A change (or the first known check): its state must start at this check, or at a
                # check in between that committed without being logged (a SIGKILLed worker dies
                # between commit and log line), whose time rule 2 has verified as served. A start
                # at the time of another logged check, or before the previous known check, is wrong.
                first = covering[-1].first
                after_previous = previous is None or first > previous[0]
                if not (first == at or (after_previous and first not in known_times[(key[0], key[1])])):
                    v.of(key[0]).lost += 1
                    v.note("lost", f"{_name(key)}: change to {state} at {at} starts at {first} instead")
            previous = (at, state)
    return v


_LINES = (
    ("served answers", "served_answers"),
    ("changes served", "changes_served"),
    ("  into or out of not bookable online", "not_bookable_online_served"),
    ("changes recorded", "changes_recorded"),
    ("served changes not stored (rolled back, timed out or stale)", "changes_not_stored"),
    ("committed checks", "committed_checks"),
    ("  stale, skipped by design", "stale_checks"),
    ("changes lost", "lost"),
    ("phantom changes", "phantom"),
    ("inconsistent hut-dates", "inconsistent"),
)


def report(v: Verdict) -> str:
    """The figures as printed lines, each in total and per source, with examples of violations."""
    sources = sorted(v.sources)
    total = v.total()
    lines = []
    for label, name in _LINES:
        per_source = ", ".join(f"{source} {getattr(v.of(source), name)}" for source in sources)
        lines.append(f"{label + ':':<25} {getattr(total, name)} ({per_source})")
    for kind, examples in v.examples.items():
        for text in examples:
            lines.append(f"  {kind}: {text}")
    return "\n".join(lines)
