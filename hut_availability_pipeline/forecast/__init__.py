"""Forecasts of hut-nights from the stored history: pure pandas/numpy, no database, no Dagster.

- `model`: the forecast as of a time T from an observations frame (hut, night, observed_at, free).
- `backtest`: the real-time backtest by lead bucket against the naive, pickup and base-rate baselines.
- `observations`: observations frames from a history CSV (the `history import` format).
"""

from __future__ import annotations

from .model import FORECAST_COLUMNS, LEAD_BUCKETS, OBSERVATION_COLUMNS, ForecastError, forecast, prepare

__all__ = ["FORECAST_COLUMNS", "LEAD_BUCKETS", "OBSERVATION_COLUMNS", "ForecastError", "forecast", "prepare"]
