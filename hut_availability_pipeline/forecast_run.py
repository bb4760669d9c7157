"""The daily forecast run: read the stored history, forecast every upcoming hut-night as of now,
store it (`hut_availability_forecast`), and backtest the model on the recent past against naive.
Plain code the Dagster asset (defs/forecast.py) and tests call; no Dagster here."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import psycopg

from .forecast.backtest import as_of_times, backtest
from .forecast.model import forecast, prepare
from .history.export import observations, read_checks
from .storage.forecasts import replace_forecast

__all__ = ["RECENT_AS_OF", "ForecastRun", "run_forecast"]

# The recent past the run backtests on: as-of times 28, 21, 14 and 7 days before now.
RECENT_AS_OF = (28, 21, 14, 7)


@dataclass(frozen=True)
class ForecastRun:
    """What one run did, and how the forecast fared on the recent past."""

    as_of: dt.datetime
    rows: int  # hut-nights forecast and stored
    huts: int
    history_nights: int  # past hut-nights the model learnt from
    scores: pd.DataFrame  # backtest.SCORE_COLUMNS by lead bucket, over RECENT_AS_OF
    seconds: float

    def worse_than_naive(self) -> list[str]:
        """The measures (per bucket with nights) where the forecast scored worse than naive."""
        out = []
        for row in self.scores.to_dict("records"):
            if not row["nights"]:
                continue
            if row["mae_forecast"] > row["mae_naive"] * 1.05:  # 5 %: the median is an integer
                out.append(f"MAE {row['bucket']}: {row['mae_forecast']:.3f} > naive {row['mae_naive']:.3f}")
            if row["brier_sold_out_forecast"] > row["brier_sold_out_naive"]:
                out.append(
                    f"Brier sold out {row['bucket']}: {row['brier_sold_out_forecast']:.3f}"
                    f" > naive {row['brier_sold_out_naive']:.3f}"
                )
        return out


def _rows(frame: pd.DataFrame, hut_ids: dict[str, int], as_of: dt.datetime) -> list[tuple[Any, ...]]:
    records = cast("list[dict[str, Any]]", frame.to_dict("records"))  # pandas-stubs type the keys as Hashable
    return [
        (
            hut_ids[r["hut"]],
            r["night"],
            as_of,
            int(r["free_now"]),
            r["observed_at"].to_pydatetime(),
            int(r["median_free"]),
            float(r["p_sold_out"]),
            None if np.isnan(r["p_frees_up"]) else float(r["p_frees_up"]),
            int(r["history_nights"]),
        )
        for r in records
    ]


def run_forecast(conn: psycopg.Connection[Any], as_of: dt.datetime) -> ForecastRun:
    """Forecast as of `as_of` from the checks up to then, store it, and backtest the recent past."""
    started = time.perf_counter()
    checks = read_checks(conn, as_of=as_of)
    prepared = prepare(observations(checks))
    frame = forecast(prepared, as_of)
    hut_ids = dict(conn.execute("SELECT slug, id FROM huts").fetchall())
    stored = replace_forecast(conn, _rows(frame, hut_ids, as_of))
    recent = as_of_times(as_of - dt.timedelta(days=RECENT_AS_OF[0]), as_of - dt.timedelta(days=RECENT_AS_OF[-1]), 7)
    scores = backtest(prepared, recent)
    return ForecastRun(
        as_of=as_of,
        rows=stored,
        huts=int(frame["hut"].nunique()),
        history_nights=int(frame["history_nights"].iloc[0]) if len(frame) else 0,
        scores=scores,
        seconds=time.perf_counter() - started,
    )
