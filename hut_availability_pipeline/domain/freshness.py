"""Honest freshness: whether the pages must say that a booking source's data may be out of date.

A source gets a notice when its last fetch failed (the hut it fetched last failed: one failed
update is enough), or when some of its huts' data are older than their refresh tier allows
(domain/tiers.py: a hut whose highest occupancy in the horizon is high is refreshed every 30
minutes, a low one daily, ...). "Older than allowed" leaves one interval of slack: data older than
`STALE_FACTOR` × the tier's interval, so a refresh that is a few minutes late (a busy run) is not
a notice, and one that was missed altogether is. A hut's own notice says the same of one hut.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .tiers import TierPolicy

STALE_FACTOR = 2


@dataclass(frozen=True)
class FetchState:
    """What decides a hut's freshness: its source, the fetch status, the occupancy of its tier."""

    hut_id: int
    source: str
    max_occupancy: float | None
    last_attempt: dt.datetime | None
    last_success: dt.datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True)
class Staleness:
    """A hut's data are older than its tier allows: since when they are too old."""

    since: dt.datetime  # when the data became too old (last success + the allowed age)
    data_from: dt.datetime  # the last successful fetch
    allowed: dt.timedelta


def staleness(state: FetchState, policy: TierPolicy, now: dt.datetime) -> Staleness | None:
    """Whether a hut's data are older than STALE_FACTOR × its tier's interval (None: fresh enough,
    or never fetched successfully: that is a failure, not staleness)."""
    if state.last_success is None:
        return None
    allowed = policy.interval(policy.tier_for(state.max_occupancy)) * STALE_FACTOR
    since = state.last_success + allowed
    return Staleness(since, state.last_success, allowed) if since < now else None


@dataclass(frozen=True)
class SourceNotice:
    """What a page says of a source whose data may be out of date."""

    source: str
    source_name: str
    failed_at: dt.datetime | None  # its last fetch failed, at this time (None: it did not)
    error: str | None
    last_success: dt.datetime | None  # its newest data (None: never fetched successfully)
    huts: int  # its huts with a fetch status
    stale_huts: int  # of them, those whose data are older than their tier allows
    stale_since: dt.datetime | None  # the earliest time one of them became too old


def source_notices(
    states: Iterable[FetchState], policy: TierPolicy, now: dt.datetime, names: Mapping[str, str]
) -> list[SourceNotice]:
    """A notice for each source whose last fetch failed or that has stale huts, by source."""
    by_source: dict[str, list[FetchState]] = {}
    for state in states:
        if state.last_attempt is not None:
            by_source.setdefault(state.source, []).append(state)
    notices = []
    for source, group in sorted(by_source.items()):
        last = max(group, key=lambda s: (s.last_attempt or dt.datetime.min.replace(tzinfo=dt.UTC), s.hut_id))
        failed = last.consecutive_failures > 0
        stale = [st for s in group if (st := staleness(s, policy, now)) is not None]
        if not failed and not stale:
            continue
        successes = [s.last_success for s in group if s.last_success is not None]
        notices.append(
            SourceNotice(
                source=source,
                source_name=names.get(source, source),
                failed_at=last.last_attempt if failed else None,
                error=last.last_error if failed else None,
                last_success=max(successes, default=None),
                huts=len(group),
                stale_huts=len(stale),
                stale_since=min((st.since for st in stale), default=None),
            )
        )
    return notices


@dataclass(frozen=True)
class HutNotice:
    """What a hut's page says when this hut's data may be out of date."""

    failed_at: dt.datetime | None  # its last fetch failed at this time
    error: str | None
    failures: int
    last_success: dt.datetime | None
    stale: Staleness | None


def hut_notice(state: FetchState | None, policy: TierPolicy, now: dt.datetime) -> HutNotice | None:
    """The hut's notice, None when its last fetch worked and its data are fresh enough."""
    if state is None or state.last_attempt is None:
        return None
    failed = state.consecutive_failures > 0
    stale = staleness(state, policy, now)
    if not failed and stale is None:
        return None
    return HutNotice(
        failed_at=state.last_attempt if failed else None,
        error=state.last_error if failed else None,
        failures=state.consecutive_failures,
        last_success=state.last_success,
        stale=stale,
    )
