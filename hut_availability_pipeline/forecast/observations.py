"""Observations frames (hut, night, observed_at, free) from a history CSV in the `history import`
format (observed_at, source, source_hut_id, date, free, total), plain or gzip: what the benchmark
and analysts feed the model without a database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

__all__ = ["read_history_observations", "until"]


def read_history_observations(path: Path, huts_csv: Path | None = None) -> pd.DataFrame:
    """The file's checks as an observations frame. `hut` is the slug from `huts_csv` (columns
    source, source_hut_id, slug) when given, else "source:source_hut_id"."""
    frame = pd.read_csv(path, dtype={"source": str, "source_hut_id": str}, usecols=[0, 1, 2, 3, 4])
    hut = frame["source"] + ":" + frame["source_hut_id"]
    if huts_csv is not None:
        huts = pd.read_csv(huts_csv, dtype=str)
        slugs = dict(zip(huts["source"] + ":" + huts["source_hut_id"], huts["slug"], strict=True))
        hut = hut.map(lambda h: slugs.get(h, h))
    return pd.DataFrame(
        {
            "hut": hut,
            "night": pd.to_datetime(frame["date"]).dt.date,
            "observed_at": pd.to_datetime(frame["observed_at"], utc=True),
            "free": pd.to_numeric(frame["free"], errors="coerce"),
        }
    )


def until(observations: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """The rows observed at or before `as_of` (what a forecaster at that time had)."""
    return observations[observations["observed_at"] <= pd.Timestamp(as_of)]
