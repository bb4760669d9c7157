"""Freshness notices: a failed last fetch is enough; data older than twice their tier's interval
are stale; a late refresh within the slack is not."""

from __future__ import annotations

import datetime as dt

from hut_availability_pipeline.domain.freshness import FetchState, hut_notice, source_notices, staleness
from hut_availability_pipeline.domain.tiers import TierPolicy

NOW = dt.datetime(2026, 7, 10, 12, 0, tzinfo=dt.UTC)
POLICY = TierPolicy()
NAMES = {"hrs": "hut-reservation.org", "hh": "huetten-holiday.com"}


def state(hut: int, source: str = "hrs", *, ago: float = 0.1, occupancy: float | None = 50.0,
          failures: int = 0, attempt_ago: float | None = None) -> FetchState:  # fmt: skip
    """A hut last fetched successfully `ago` hours before NOW (attempted `attempt_ago` hours before)."""
    attempt = NOW - dt.timedelta(hours=ago if attempt_ago is None else attempt_ago)
    return FetchState(hut, source, occupancy, attempt, NOW - dt.timedelta(hours=ago), failures,
                      "HTTP 503" if failures else None)  # fmt: skip


def test_fresh_sources_get_no_notice():
    assert source_notices([state(1), state(2, "hh", ago=20, occupancy=10.0)], POLICY, NOW, NAMES) == []


def test_one_failed_update_is_enough():
    states = [state(1, ago=1, attempt_ago=1), state(2, ago=1, failures=1, attempt_ago=0.5)]
    [notice] = source_notices(states, POLICY, NOW, NAMES)
    assert (notice.source_name, notice.failed_at, notice.error) == (
        "hut-reservation.org",
        NOW - dt.timedelta(hours=0.5),
        "HTTP 503",
    )
    assert notice.last_success == NOW - dt.timedelta(hours=1) and notice.stale_huts == 0
    # a failure followed by a success of the source's next fetch: no notice for the source
    states = [state(1, ago=1, failures=1, attempt_ago=1), state(2, ago=0.5)]
    assert source_notices(states, POLICY, NOW, NAMES) == []
    assert hut_notice(states[0], POLICY, NOW) is not None and hut_notice(states[1], POLICY, NOW) is None


def test_data_older_than_twice_their_tier_interval_are_stale():
    medium = state(1, ago=5.9)  # medium tier (occupancy 50): every 3 h, stale after 6 h
    assert staleness(medium, POLICY, NOW) is None
    late = state(2, ago=7)
    assert staleness(late, POLICY, NOW) is not None
    [notice] = source_notices([medium, late], POLICY, NOW, NAMES)
    assert (notice.failed_at, notice.stale_huts, notice.huts) == (None, 1, 2)
    assert notice.stale_since == NOW - dt.timedelta(hours=1)
    high = state(3, ago=1.5, occupancy=90.0)  # high tier: every 30 min, stale after an hour
    assert staleness(high, POLICY, NOW) is not None
