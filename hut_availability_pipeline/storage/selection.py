"""Priority-based selection: which huts are due for a refresh (the seed's `needing_update()`).

One function used by the `update` command, Dagster's sensor and the read side alike.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..domain.dates import today_in
from ..domain.huts import HutRef
from ..domain.tiers import Tier, TierPolicy
from .huts import hut_ref_from_row
from .sqlfiles import query

_TIER_ORDER = {Tier.new: 0, Tier.high: 1, Tier.medium: 2, Tier.retry: 3, Tier.low: 4, Tier.unknown: 5}


@dataclass(frozen=True)
class HutPriority:
    """A hut's tier, when it was last checked and when it is next due."""

    hut: HutRef
    tier: Tier
    max_occupancy: float | None
    last_success: dt.datetime | None
    last_attempt: dt.datetime | None
    consecutive_failures: int
    last_error: str | None
    next_due: dt.datetime

    def is_due(self, now: dt.datetime) -> bool:
        return self.next_due <= now


def classify(
    policy: TierPolicy,
    *,
    max_occupancy: float | None,
    last_success: dt.datetime | None,
    last_attempt: dt.datetime | None,
    consecutive_failures: int,
) -> tuple[Tier, dt.datetime | None]:
    """The tier of a hut and when it is next due (None: due now)."""
    if consecutive_failures > 0 and last_attempt is not None:
        return Tier.retry, last_attempt + policy.retry_delay(consecutive_failures)
    if last_success is None:
        return Tier.new, None
    tier = policy.tier_for(max_occupancy)
    return tier, last_success + policy.interval(tier)


def hut_priorities(
    conn: psycopg.Connection[Any], policy: TierPolicy, now: dt.datetime, zone: str | zoneinfo.ZoneInfo
) -> list[HutPriority]:
    """Every active bookable hut with its tier and next due time, most urgent first."""
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(
            query("select_hut_priorities"),
            {"today": today_in(zone, now), "horizon_days": policy.horizon_days},
        )
        .fetchall()
    )
    out = []
    for r in rows:
        hut = hut_ref_from_row(r)
        max_occupancy, last_success, last_attempt = r["max_occupancy"], r["last_success"], r["last_attempt"]
        failures, last_error = r["consecutive_failures"], r["last_error"]
        tier, next_due = classify(
            policy,
            max_occupancy=max_occupancy,
            last_success=last_success,
            last_attempt=last_attempt,
            consecutive_failures=failures,
        )
        out.append(
            HutPriority(
                hut=hut,
                tier=tier,
                max_occupancy=max_occupancy,
                last_success=last_success,
                last_attempt=last_attempt,
                consecutive_failures=failures,
                last_error=last_error,
                next_due=next_due or now,
            )
        )
    out.sort(key=lambda p: (_TIER_ORDER[p.tier], p.next_due, p.hut.hut_id))
    return out


def due_huts(
    conn: psycopg.Connection[Any], policy: TierPolicy, now: dt.datetime, zone: str | zoneinfo.ZoneInfo
) -> list[HutPriority]:
    """The huts due for a refresh at `now`: new huts, tiers whose interval has passed, and failing
    huts whose backoff has passed; most urgent first."""
    return [p for p in hut_priorities(conn, policy, now, zone) if p.is_due(now)]
