"""Asset checks on the stored data: consistency of current state and history, coverage of the
coming days, freshness per tier, and huts a map can place. A failing check names the huts and dates in its description
and metadata. SQL lives in `sql/queries/check_*.sql`; freshness uses storage.selection."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dagster as dg

from ...config import Settings
from ...domain.hut_catalog import COUNTRY_BOXES, REGION
from ...domain.tiers import Tier
from ...storage.selection import hut_priorities, today_in
from ...storage.sqlfiles import query
from ..refresh.hut_refresh import HUT_AVAILABILITY, HUT_AVAILABILITY_HISTORY
from ..resources import DatabaseResource

EXAMPLES = 20
FRESHNESS_SLACK = dt.timedelta(minutes=30)
"""How much later than its tier's interval a hut may be refreshed before freshness fails: a cycle of
~600 huts at one request per second takes ~10 minutes, and the sensor looks every minute."""
FRESHNESS_TIERS = (Tier.high, Tier.medium, Tier.low)
HUT_CATALOG = dg.AssetKey("hut_catalog")


def _violations(
    database: DatabaseResource, name: str, params: dict[str, Any] | None = None
) -> tuple[int, list[str], list[tuple[Any, ...]]]:
    """Run a check query: (number of violations, column names, up to EXAMPLES example rows)."""
    with database.database().connect() as conn:
        cur = conn.execute(query(name), {"limit": EXAMPLES, **(params or {})})
        rows = cur.fetchall()
        columns = [c.name for c in cur.description or []]
    total = int(rows[0][-1]) if rows else 0
    return total, columns[:-1], [tuple(r[:-1]) for r in rows]


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _result(
    what: str,
    total: int,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    if not total:
        return dg.AssetCheckResult(passed=True, description=f"No {what}.", metadata={"violations": 0})
    shown = "; ".join(", ".join(str(v) for v in row[:2]) for row in rows[:5])
    more = f" and {total - 5} more" if total > 5 else ""
    return dg.AssetCheckResult(
        passed=False,
        severity=severity,
        description=f"{total} {what}: {shown}{more}.",
        metadata={
            "violations": dg.MetadataValue.int(total),
            "examples": dg.MetadataValue.md(_table(columns, rows)),
        },
    )


@dg.asset_check(asset=HUT_AVAILABILITY, name="free_not_above_total", blocking=False)
def free_not_above_total(database: DatabaseResource) -> dg.AssetCheckResult:
    """No current state has more free places than places in total."""
    return _result("hut-date(s) with free > total", *_violations(database, "check_free_above_total"))


@dg.asset_check(asset=HUT_AVAILABILITY, name="occupancy_within_0_100", blocking=False)
def occupancy_within_0_100(database: DatabaseResource) -> dg.AssetCheckResult:
    """Every known occupancy of the current state lies in 0..100 %."""
    return _result(
        "hut-date(s) with occupancy outside 0..100 %", *_violations(database, "check_occupancy_out_of_range")
    )


@dg.asset_check(asset=HUT_AVAILABILITY_HISTORY, name="one_open_state_per_hut_date", blocking=False)
def one_open_state_per_hut_date(database: DatabaseResource) -> dg.AssetCheckResult:
    """At most one open (current) history state per hut and date."""
    return _result(
        "hut-date(s) with more than one open history state", *_violations(database, "check_open_history_states")
    )


@dg.asset_check(asset=HUT_AVAILABILITY, name="upcoming_days_covered", blocking=False)
def upcoming_days_covered(database: DatabaseResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:
    """Every active hut has a state for each of the coming horizon days (14 by default) or a
    recorded fetch failure."""
    params = {
        "today": today_in(settings.zone, dt.datetime.now(dt.UTC)),
        "horizon_days": settings.tiers.horizon_days,
    }
    return _result(
        f"active hut(s) without states for all of the next {settings.tiers.horizon_days} days and no recorded failure",
        *_violations(database, "check_upcoming_coverage", params),
        severity=dg.AssetCheckSeverity.WARN,
    )


@dg.asset_check(asset=HUT_AVAILABILITY, name="fresh_per_tier", blocking=False)
def fresh_per_tier(database: DatabaseResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:
    """High-, medium- and low-tier huts were checked within their tier's interval plus slack
    (tiers and last checks from storage.selection)."""
    now = dt.datetime.now(dt.UTC)
    with database.database().connect() as conn:
        priorities = hut_priorities(conn, settings.tiers, now, settings.zone)
    late = []
    for p in priorities:
        if p.tier in FRESHNESS_TIERS and p.last_success is not None:
            limit = settings.tiers.interval(p.tier) + FRESHNESS_SLACK
            age = now - p.last_success
            if age > limit:
                late.append((p.hut.slug, p.tier.value, f"{age.total_seconds() / 60:.0f} min", f"{limit}"))
    late.sort(key=lambda row: [t.value for t in FRESHNESS_TIERS].index(row[1]))
    counts = {tier.value: sum(1 for p in priorities if p.tier == tier) for tier in FRESHNESS_TIERS}
    result = _result(
        "hut(s) older than their tier's interval plus slack",
        len(late),
        ("hut", "tier", "age", "allowed"),
        late[:EXAMPLES],
        severity=dg.AssetCheckSeverity.WARN,
    )
    metadata = {**result.metadata, **{f"huts_{tier}": dg.MetadataValue.int(n) for tier, n in counts.items()}}
    return dg.AssetCheckResult(
        passed=result.passed, severity=result.severity, description=result.description, metadata=metadata
    )


@dg.asset_check(asset=HUT_CATALOG, name="active_huts_placed", blocking=False)
def active_huts_placed(database: DatabaseResource) -> dg.AssetCheckResult:
    """Every active hut has coordinates a hut of these clubs can have: inside the region and its
    country's box (domain.hut_catalog, the rule the catalog load applies). A failure names the huts:
    give them their place with a hut CSV (lat, lon), or deactivate them."""
    countries = sorted(COUNTRY_BOXES)
    params = {
        "region_lat_min": REGION.lat_min,
        "region_lat_max": REGION.lat_max,
        "region_lon_min": REGION.lon_min,
        "region_lon_max": REGION.lon_max,
        "countries": countries,
        "lat_min": [COUNTRY_BOXES[c].lat_min for c in countries],
        "lat_max": [COUNTRY_BOXES[c].lat_max for c in countries],
        "lon_min": [COUNTRY_BOXES[c].lon_min for c in countries],
        "lon_max": [COUNTRY_BOXES[c].lon_max for c in countries],
    }
    return _result(
        "active hut(s) without coordinates or outside the clubs' region",
        *_violations(database, "check_hut_coordinates", params),
        severity=dg.AssetCheckSeverity.WARN,
    )


availability_checks = [
    free_not_above_total,
    occupancy_within_0_100,
    one_open_state_per_hut_date,
    upcoming_days_covered,
    fresh_per_tier,
    active_huts_placed,
]

availability_checks_job = dg.define_asset_job(
    name="hut_availability_checks_job",
    selection=dg.AssetSelection.checks(*availability_checks),
    description="Run the data checks of hut_catalog, hut_availability and hut_availability_history.",
)

availability_checks_schedule = dg.ScheduleDefinition(
    name="hut_availability_checks_schedule",
    cron_schedule="20 * * * *",
    job=availability_checks_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly, between refresh cycles: run the data checks.",
)
