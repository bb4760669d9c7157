"""A real-time backtest: as-of times stepping through the history, at each the forecast (and the
baselines) from the checks up to then only, scored against what the nights' eves turned out to be.

Scores by lead bucket (LEAD_BUCKETS), pooled over the as-of times; a hut-night counts once per
as-of time it is forecast at (as in issue #22's table):

- `mae_*`: mean absolute error of the eve's free places: the forecast's `median_free`, `naive`
  (today's value carried to the eve) and `pickup` (per hut and lead bucket, the median ratio of
  eve to value at that lead from the nights already past; value 0 stays 0; ratio 1 without
  history);
- `brier_sold_out_*`: Brier score of "no free place on the eve": the forecast, naive (1 when at 0
  now, else 0) and the base rate (the share of the past nights' samples in that lead bucket sold
  out on the eve; 0.5 without history);
- `brier_frees_up_*`: over the nights at 0 now, Brier score of "a free place shows before the
  night": the forecast, naive (0) and the base rate (the share of past nights at 0 at that lead
  bucket that freed up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .model import LEAD_BUCKETS, Prepared, _bucket_clipped, forecast_arrays, lead_bucket

__all__ = ["SCORE_COLUMNS", "as_of_times", "backtest", "better_baseline", "score_rows"]

SCORE_COLUMNS = (
    "bucket",
    "nights",
    "sold_out_share",
    "mae_forecast",
    "mae_naive",
    "mae_pickup",
    "brier_sold_out_forecast",
    "brier_sold_out_naive",
    "brier_sold_out_base_rate",
    "zero_nights",
    "frees_up_share",
    "brier_frees_up_forecast",
    "brier_frees_up_naive",
    "brier_frees_up_base_rate",
)
_DAY = 86_400


def as_of_times(first: dt.datetime, last: dt.datetime, step_days: int) -> list[dt.datetime]:
    """Every `step_days` from `first` to `last` (both ends included when on the step)."""
    out, t = [], first
    while t <= last:
        out.append(t)
        t += dt.timedelta(days=step_days)
    return out


def score_rows(p: Prepared, as_of: dt.datetime, huts: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per hut-night forecast at `as_of` whose eve is known (from the whole history: this
    is the scoring side, the forecast itself only read checks up to `as_of`), with the forecast,
    the baselines and the outcomes."""
    a = forecast_arrays(p, as_of, max_lead=LEAD_BUCKETS[-1][1])
    t = int(as_of.timestamp())
    eve = p.eve_free[a.keys]
    known = ~np.isnan(eve) & (p.eve_at[a.keys] > t)
    if huts is not None:
        wanted = set(huts)
        known &= np.isin(p.hut_labels[p.hut_codes[a.keys]], list(wanted))
    train = a.train
    nb = len(LEAD_BUCKETS)
    n_huts = len(p.hut_labels)
    hut = p.hut_codes[a.keys]
    bucket = _bucket_clipped(a.lead)
    t_bucket = _bucket_clipped(train.lead)
    # pickup: per hut and bucket, the median eve/value ratio (value > 0) of the past nights
    ratio = np.ones((n_huts, nb))
    pos = train.free > 0
    if pos.any():
        frame = pd.DataFrame({"h": train.hut[pos], "b": t_bucket[pos], "r": train.eve_free[pos] / train.free[pos]})
        med = frame.groupby(["h", "b"])["r"].median()
        ratio[med.index.get_level_values(0), med.index.get_level_values(1)] = med.to_numpy()
    pickup = np.rint(a.value * ratio[hut, bucket])
    base_sold = np.full(nb, 0.5)
    base_up = np.full(nb, 0.5)
    for b in range(nb):
        in_b = t_bucket == b
        if in_b.any():
            base_sold[b] = float((train.eve_free[in_b] == 0).mean())
        z = in_b & (train.free == 0)
        if z.any():
            base_up[b] = float(train.frees_up[z].mean())
    frees_up = p.last_free_before_night[a.keys] > t
    rows = pd.DataFrame(
        {
            "as_of": as_of,
            "hut": p.hut_labels[hut],
            "lead": a.lead,
            "bucket": lead_bucket(a.lead),
            "free_now": a.value,
            "eve_free": eve,
            "median_free": a.median,
            "pickup": pickup,
            "p_sold_out": a.p_sold_out,
            "base_sold_out": base_sold[bucket],
            "p_frees_up": a.p_frees_up,
            "base_frees_up": base_up[bucket],
            "frees_up": frees_up,
        }
    )
    return rows[known & (rows["bucket"].to_numpy() >= 0)].reset_index(drop=True)


def _scores(rows: pd.DataFrame) -> dict[str, float]:
    eve = rows["eve_free"].to_numpy()
    now = rows["free_now"].to_numpy()
    sold = (eve == 0).astype(float)
    zero = now == 0
    up = rows["frees_up"].to_numpy()[zero].astype(float)
    return {
        "nights": float(len(rows)),
        "sold_out_share": float(sold.mean()),
        "mae_forecast": float(np.abs(rows["median_free"].to_numpy() - eve).mean()),
        "mae_naive": float(np.abs(now - eve).mean()),
        "mae_pickup": float(np.abs(rows["pickup"].to_numpy() - eve).mean()),
        "brier_sold_out_forecast": float(((rows["p_sold_out"].to_numpy() - sold) ** 2).mean()),
        "brier_sold_out_naive": float(((zero.astype(float) - sold) ** 2).mean()),
        "brier_sold_out_base_rate": float(((rows["base_sold_out"].to_numpy() - sold) ** 2).mean()),
        "zero_nights": float(zero.sum()),
        "frees_up_share": float(up.mean()) if len(up) else float("nan"),
        "brier_frees_up_forecast": float(((rows["p_frees_up"].to_numpy()[zero] - up) ** 2).mean())
        if len(up)
        else float("nan"),
        "brier_frees_up_naive": float((up**2).mean()) if len(up) else float("nan"),
        "brier_frees_up_base_rate": float(((rows["base_frees_up"].to_numpy()[zero] - up) ** 2).mean())
        if len(up)
        else float("nan"),
    }


def backtest(p: Prepared, as_of: Sequence[dt.datetime], huts: Iterable[str] | None = None) -> pd.DataFrame:
    """Scores (SCORE_COLUMNS) per lead bucket, pooled over the as-of times; `bucket` is "1–7" etc."""
    hut_list = list(huts) if huts is not None else None
    frames = [score_rows(p, t, hut_list) for t in as_of]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["bucket"])
    out = []
    for b, (lo, hi) in enumerate(LEAD_BUCKETS):
        part = rows[rows["bucket"] == b]
        scores: dict[str, object] = {"bucket": f"{lo}–{hi}"}
        scores.update(_scores(part) if len(part) else {"nights": 0.0})
        out.append(scores)
    frame = pd.DataFrame(out, columns=list(SCORE_COLUMNS))
    frame["nights"] = frame["nights"].fillna(0).astype(int)
    frame["zero_nights"] = frame["zero_nights"].fillna(0).astype(int)
    return frame


def better_baseline(scores: pd.DataFrame) -> pd.DataFrame:
    """Per bucket: the forecast's score over the better baseline's (below 1: the forecast wins)."""
    return pd.DataFrame(
        {
            "bucket": scores["bucket"],
            "nights": scores["nights"],
            "mae": scores["mae_forecast"] / scores[["mae_naive", "mae_pickup"]].min(axis=1),
            "brier_sold_out": scores["brier_sold_out_forecast"]
            / scores[["brier_sold_out_naive", "brier_sold_out_base_rate"]].min(axis=1),
            "brier_frees_up": scores["brier_frees_up_forecast"]
            / scores[["brier_frees_up_naive", "brier_frees_up_base_rate"]].min(axis=1),
        }
    )
