"""Priority tiers and the due-hut selection (the seed's needing_update())."""

from __future__ import annotations

import datetime as dt

import pytest

from hut_availability_pipeline.domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from hut_availability_pipeline.domain.dates import today_in
from hut_availability_pipeline.domain.tiers import Tier, TierPolicy
from hut_availability_pipeline.storage.selection import classify, due_huts, hut_priorities
from hut_availability_pipeline.storage.writer import write_batch

from ..helpers import add_huts, failure, result

NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 7, 1)
ZONE = "Europe/Zurich"


@pytest.mark.parametrize(
    "occupancy,tier",
    [(None, Tier.unknown), (0.0, Tier.low), (25.0, Tier.low), (25.1, Tier.medium), (75.0, Tier.medium),
     (75.1, Tier.high), (100.0, Tier.high)],
)  # fmt: skip
def test_tier_thresholds(occupancy, tier):
    assert TierPolicy().tier_for(occupancy) is tier


def test_intervals_and_backoff_are_configurable():
    policy = TierPolicy(high_threshold=90, high_interval=dt.timedelta(minutes=10), retry_base=dt.timedelta(minutes=5))
    assert policy.tier_for(80) is Tier.medium
    assert policy.interval(Tier.high) == dt.timedelta(minutes=10)
    assert [policy.retry_delay(n).total_seconds() / 60 for n in (1, 2, 3)] == [5, 10, 20]
    assert TierPolicy().retry_delay(100) == dt.timedelta(days=7)
    with pytest.raises(ValueError, match="thresholds"):
        TierPolicy(low_threshold=80, high_threshold=50)


def test_classify_new_failing_and_known():
    p = TierPolicy()
    assert classify(p, max_occupancy=None, last_success=None, last_attempt=None, consecutive_failures=0) == (
        Tier.new,
        None,
    )
    tier, due = classify(p, max_occupancy=90, last_success=NOW, last_attempt=NOW, consecutive_failures=0)
    assert (tier, due) == (Tier.high, NOW + dt.timedelta(minutes=30))
    tier, due = classify(p, max_occupancy=90, last_success=NOW, last_attempt=NOW, consecutive_failures=3)
    assert (tier, due) == (Tier.retry, NOW + dt.timedelta(hours=2))


def test_today_uses_the_configured_zone():
    late = dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC)
    assert today_in(ZONE, late) == dt.date(2026, 7, 2)
    assert today_in("UTC", late) == dt.date(2026, 7, 1)


def test_due_huts_by_tier_and_age(db):
    full, half, empty, _new, failing = add_huts(db, 5)
    checked = NOW - dt.timedelta(hours=4)
    with db.connect() as conn:
        write_batch(conn, [
            result(full, checked, [0, 0, 40], start=TODAY),     # 100 % → high, 30 min
            result(half, checked, [20] * 3, start=TODAY),       # 50 % → medium, 3 h
            result(empty, checked, [40] * 3, start=TODAY),      # 0 % → low, 24 h
            result(failing, checked, [40] * 3, start=TODAY),
        ])  # fmt: skip
        write_batch(conn, [failure(failing, NOW - dt.timedelta(minutes=10))])
        conn.execute("UPDATE huts SET is_active = false WHERE slug = 'hut-9'")
        tiers = {p.hut.slug: p.tier for p in hut_priorities(conn, TierPolicy(), NOW, ZONE)}
        due = [p.hut.slug for p in due_huts(conn, TierPolicy(), NOW, ZONE)]
        later = [p.hut.slug for p in due_huts(conn, TierPolicy(), NOW + dt.timedelta(hours=21), ZONE)]
    assert tiers == {"hut-0": Tier.high, "hut-1": Tier.medium, "hut-2": Tier.low, "hut-3": Tier.new,
                     "hut-4": Tier.retry}  # fmt: skip
    assert due == ["hut-3", "hut-0", "hut-1"]  # new first, then by tier
    assert later == ["hut-3", "hut-0", "hut-1", "hut-4", "hut-2"]


def test_only_the_next_days_decide_the_tier(db):
    (hut,) = add_huts(db, 1)
    with db.connect() as conn:
        # full only 20 days ahead: outside the 14-day horizon → low
        write_batch(conn, [result(hut, NOW, [0], start=TODAY + dt.timedelta(days=20))])
        write_batch(conn, [result(hut, NOW, [40], start=TODAY)])
        (p,) = hut_priorities(conn, TierPolicy(), NOW, ZONE)
    assert p.tier is Tier.low


def test_a_night_sold_out_online_in_the_next_days_puts_the_hut_in_the_high_tier(db):
    """Not bookable online has no numbers (no occupancy), but nothing is left online: fully booked."""
    sold_out, winter = add_huts(db, 2)
    no_places = {"total": 0, "status": ReservationStatusEnum.not_possible, "state": DayState.not_bookable_online}
    with db.connect() as conn:
        write_batch(conn, [result(sold_out, NOW, [40, 40], start=TODAY)])
        write_batch(conn, [result(sold_out, NOW, [None], start=TODAY + dt.timedelta(days=2), **no_places)])
        winter_room = {"total": 8, "hut_type": HutTypeEnum.selfhut, "status": ReservationStatusEnum.not_online}
        write_batch(conn, [result(winter, NOW, [8, None], start=TODAY, **winter_room)])
        tiers = {p.hut.slug: p.tier for p in hut_priorities(conn, TierPolicy(), NOW, ZONE)}
    assert tiers == {"hut-0": Tier.high, "hut-1": Tier.low}


def test_inactive_huts_are_not_selected(db):
    a, b = add_huts(db, 2)
    with db.connect() as conn:
        conn.execute("UPDATE huts SET is_active = false WHERE id = %s", (a.hut_id,))
        assert [p.hut.slug for p in due_huts(conn, TierPolicy(), NOW, ZONE)] == [b.slug]
