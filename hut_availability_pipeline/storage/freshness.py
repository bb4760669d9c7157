"""What the freshness notices (domain/freshness.py) are computed from: every active bookable hut's
fetch status and the occupancy that decides its tier (the refresh selection's own query,
storage/selection.py), and the names of the booking sources."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import psycopg

from ..domain.freshness import FetchState
from ..domain.tiers import TierPolicy
from .selection import hut_priorities


def fetch_states(
    conn: psycopg.Connection[Any], policy: TierPolicy, now: dt.datetime, zone: str | zoneinfo.ZoneInfo
) -> list[FetchState]:
    """The fetch state of every active bookable hut."""
    return [
        FetchState(
            hut_id=p.hut.hut_id,
            source=p.hut.source,
            max_occupancy=p.max_occupancy,
            last_attempt=p.last_attempt,
            last_success=p.last_success,
            consecutive_failures=p.consecutive_failures,
            last_error=p.last_error,
        )
        for p in hut_priorities(conn, policy, now, zone)
    ]


def source_names(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """The booking sources' names by slug ("hrs" → "hut-reservation.org")."""
    return {slug: name for slug, name in conn.execute("SELECT slug, name FROM organizations").fetchall()}
