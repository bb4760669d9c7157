"""Dagster: the daily trend derivation. Thin: wiring, config and metadata; the work is
`storage.trends.compute_trends`, so the CLI, tests and benchmarks run the same code."""

# No `from __future__ import annotations`: Dagster reads the config class from the annotation.
import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import dagster as dg

from ...config import Settings
from ...formatting import NONE, local_time, percent, places
from ...storage.trends import TrendRun, compute_trends, trend_highlights
from ..resources import DatabaseResource

if TYPE_CHECKING:
    import pandas as pd  # the frames come from storage.trends; loading the definitions needs no pandas

HISTORY_ASSET = dg.AssetKey("hut_availability_history")


class TrendConfig(dg.Config):
    """Optional: derive as of another time than the run's start (for reproducible re-runs)."""

    now: str | None = None  # ISO 8601 with a UTC offset, e.g. 2026-07-10T12:00:00+00:00


def _parse_now(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        now = dt.datetime.fromisoformat(text)
    except ValueError:
        raise dg.Failure(f"config now={text!r} is not an ISO 8601 time, e.g. 2026-07-10T12:00:00+00:00") from None
    if now.tzinfo is None:
        raise dg.Failure(f"config now={text!r} has no UTC offset: add one, e.g. +00:00")
    return now


def _value(value: Any) -> Any:
    """A cell of the highlights, None where pandas has NA."""
    import pandas as pd

    return None if value is None or pd.isna(value) else value


def _cell(value: Any) -> str:
    return NONE if _value(value) is None else str(value)


def summary_markdown(run: TrendRun, highlights: "pd.DataFrame", zone: ZoneInfo) -> str:
    """The run's counts and its highlights (most places booked last week) as markdown; the time in
    the configured zone, labelled (as on the pages and in the CLI)."""
    lines = [
        f"Trends as of {local_time(run.computed_at, zone)} (today {run.today.isoformat()}): "
        f"{run.rows} hut-dates of {run.huts} huts, {run.full_dates} full, "
        f"{run.booked_dates} with places booked in the last week.",
        "",
        "| hut | date | free/total | occupancy | a week ago | booked last week | full days before |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in highlights.to_dict("records"):
        free_of_total = places(_value(row["free"]), _value(row["total"]))
        lines.append(
            f"| {row['slug']} | {row['availability_date']} | {free_of_total} | "
            f"{percent(_value(row['occupancy_percent']))} | {percent(_value(row['occupancy_week_ago']))} | "
            f"{_cell(row['booked_last_week'])} | {_cell(row['days_before_full'])} |"
        )
    if highlights.empty:
        lines.append("| (no upcoming hut-dates) | | | | | | |")
    return "\n".join(lines)


@dg.asset(
    name="hut_availability_trends",
    deps=[HISTORY_ASSET],
    group_name="availability",
    kinds={"postgres"},
    description=(
        "Per hut and upcoming date: when it became full (days before the date), places booked on each "
        "of the last 7 days and the occupancy a week ago; table hut_availability_trends."
    ),
)
def hut_availability_trends(
    context: dg.AssetExecutionContext,
    config: TrendConfig,
    database: DatabaseResource,
    settings: dg.ResourceParam[Settings],
) -> dg.MaterializeResult:
    """Derive the trends from the change history and describe the run in metadata."""
    db = database.database()
    with db.connect() as conn:
        run = compute_trends(conn, _parse_now(config.now), settings.zone)
        highlights = trend_highlights(conn, run.today)
    context.log.info(f"derived {run.rows} hut-date trends of {run.huts} huts in {run.seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(run.rows),
            "huts": dg.MetadataValue.int(run.huts),
            "full_dates": dg.MetadataValue.int(run.full_dates),
            "booked_dates": dg.MetadataValue.int(run.booked_dates),
            "replaced_rows": dg.MetadataValue.int(run.replaced),
            "computed_at": dg.MetadataValue.timestamp(run.computed_at),
            "seconds": dg.MetadataValue.float(round(run.seconds, 3)),
            "database": dg.MetadataValue.text(db.describe()),
            "summary": dg.MetadataValue.md(summary_markdown(run, highlights, settings.zone)),
        }
    )


trend_assets: list[dg.AssetsDefinition] = [hut_availability_trends]

trend_job = dg.define_asset_job(
    "hut_availability_trends_job",
    selection=dg.AssetSelection.assets(hut_availability_trends),
    description="Derive the availability trends from the change history.",
)


def build_trend_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """The daily trends run, late in the configured zone's evening (definitions.py builds it)."""
    return dg.ScheduleDefinition(
        name="hut_availability_trends_daily",
        job=trend_job,
        cron_schedule="45 23 * * *",  # late, so that "the last 7 days" are 7 nearly complete local days
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
