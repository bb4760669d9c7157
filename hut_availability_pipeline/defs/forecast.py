"""Dagster: the daily forecast. Thin: wiring and metadata; the work is `forecast_run.run_forecast`.

`hut_availability_forecast` runs daily after the trends (its own schedule, half an hour after
theirs), stores the forecast of every upcoming hut-night, and records the backtest of the last
four weeks as metadata per lead bucket (numbers: Dagster plots them across materializations). Its
check `forecast_not_worse_than_naive` fails when, on that recent past, the forecast's MAE or its
Brier score of "sold out" is worse than naive's (today's value carried to the eve) in a bucket.
"""

# No `from __future__ import annotations`: Dagster reads the config class from the annotation.
import datetime as dt
import math
from typing import TYPE_CHECKING

import dagster as dg

from ..config import Settings
from .resources import DatabaseResource
from .trends.trends import _parse_now, hut_availability_trends

if TYPE_CHECKING:  # the model (pandas, numpy) is imported when the asset runs, not when definitions load
    from ..forecast_run import ForecastRun

CHECK_NAME = "forecast_not_worse_than_naive"


class ForecastConfig(dg.Config):
    """Optional: forecast as of another time than the run's start (a past time is as valid)."""

    now: str | None = None  # ISO 8601 with a UTC offset, e.g. 2024-07-01T12:00:00+00:00


def _metadata(run: "ForecastRun") -> dict[str, dg.MetadataValue]:
    meta: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(run.rows),
        "huts": dg.MetadataValue.int(run.huts),
        "history_nights": dg.MetadataValue.int(run.history_nights),
        "as_of": dg.MetadataValue.timestamp(run.as_of),
        "seconds": dg.MetadataValue.float(round(run.seconds, 3)),
    }
    lines = [
        "| lead | nights | MAE (naive) | Brier sold out (naive) | Brier frees up (base rate) |",
        "|---|---|---|---|---|",
    ]
    for row in run.scores.to_dict("records"):
        key = str(row["bucket"]).replace("–", "_")
        if not row["nights"]:
            lines.append(f"| {row['bucket']} | 0 | | | |")
            continue
        for name in ("mae_forecast", "mae_naive", "brier_sold_out_forecast", "brier_sold_out_naive"):
            meta[f"backtest_{key}_{name}"] = dg.MetadataValue.float(round(float(row[name]), 4))
        up, up_base = row["brier_frees_up_forecast"], row["brier_frees_up_base_rate"]
        if not math.isnan(up):
            meta[f"backtest_{key}_brier_frees_up_forecast"] = dg.MetadataValue.float(round(float(up), 4))
        lines.append(
            f"| {row['bucket']} | {row['nights']} | {row['mae_forecast']:.3f} ({row['mae_naive']:.3f}) | "
            f"{row['brier_sold_out_forecast']:.3f} ({row['brier_sold_out_naive']:.3f}) | "
            f"{up:.3f} ({up_base:.3f}) |"
        )
    meta["backtest"] = dg.MetadataValue.md("Backtest on the last four weeks:\n\n" + "\n".join(lines))
    return meta


@dg.asset(
    name="hut_availability_forecast",
    deps=[hut_availability_trends],
    group_name="availability",
    kinds={"postgres", "pandas"},
    description=(
        "Per hut and upcoming night: median forecast of the free places on its eve, chance it is sold out "
        "then, chance a place frees up (nights at 0); table hut_availability_forecast."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset="hut_availability_forecast",
            description="On the last four weeks, the forecast is not worse than naive (MAE, Brier sold out).",
        )
    ],
)
def hut_availability_forecast(
    context: dg.AssetExecutionContext,
    config: ForecastConfig,
    database: DatabaseResource,
    settings: dg.ResourceParam[Settings],
) -> dg.MaterializeResult:
    """Forecast, store, backtest; the backtest's verdict is the check's."""
    from ..forecast_run import run_forecast

    as_of = _parse_now(config.now) or dt.datetime.now(dt.UTC)
    with database.database().connect() as conn:
        run = run_forecast(conn, as_of)
    context.log.info(f"forecast {run.rows} hut-nights of {run.huts} huts in {run.seconds:.1f} s")
    worse = run.worse_than_naive()
    scored = int(run.scores["nights"].sum())
    return dg.MaterializeResult(
        metadata=_metadata(run),
        check_results=[
            dg.AssetCheckResult(
                check_name=CHECK_NAME,
                passed=not worse,
                metadata={
                    "scored_nights": dg.MetadataValue.int(scored),
                    "worse_than_naive": dg.MetadataValue.text("; ".join(worse) or "none"),
                },
                description=None if scored else "no past night to score yet: passes by default",
            )
        ],
    )


forecast_job = dg.define_asset_job(
    "hut_availability_forecast_job",
    selection=dg.AssetSelection.assets(hut_availability_forecast),
    description="Forecast every upcoming hut-night and backtest the recent past.",
)


def build_forecast_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """Daily, half an hour after the trends (23:45 local): 00:15 in the configured zone."""
    return dg.ScheduleDefinition(
        name="hut_availability_forecast_daily",
        job=forecast_job,
        cron_schedule="15 0 * * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
