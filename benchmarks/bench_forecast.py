"""The forecast against its targets (issue #22): a real-time backtest on the real TMB 2024 data,
and the time of a forecast of 700 huts × 365 nights.

Backtest: the 41 refuges' daily checks (../shared/reference/tmb/2024-train, MIT, Leon Lan) loaded
into pandas (no database); as-of times every `--step` days at 12:00 UTC from `--first` to
`--last`, at each the forecast and the baselines from the checks up to then only, scored on the
nights (June and July 2024) whose eve is in the data, by lead bucket. The refuges are split in
two: the tuning part (two thirds, by name order: positions 0, 1 mod 3) on which the model's
constants were chosen, and the held-out part (position 2 mod 3) that was never looked at while
tuning; both are printed, the held-out one is the figure. The model learns from every refuge's
past nights (as a live forecaster would); only the scoring is split.

Ratios are the forecast's score over the better baseline's in that bucket (MAE: naive or
per-refuge pickup; Brier: naive or base rate); targets: Brier ≤ 0.9 (p_frees_up ≤ 0.93 at
15–30 and ≤ 0.95 at 31–58), MAE ≤ 0.95 (≤ 1.0 at 1–7). Buckets with fewer than 100 nights are
printed but not judged.

Speed: the TMB checks reduced to changes (as the history table stores them) and tiled to 700
huts × 365 nights (copies of the refuges, nights shifted by whole seasons), then `prepare` and
one `forecast` timed (target ≤ 30 s).

    .venv/bin/python -m benchmarks.bench_forecast [--data DIR] [--step 3] [--first 2024-04-01]
        [--last 2024-07-30] [--huts 700] [--nights 365] [--skip-speed]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hut_availability_pipeline.forecast.backtest import as_of_times, backtest, better_baseline
from hut_availability_pipeline.forecast.model import forecast, prepare
from hut_availability_pipeline.forecast.observations import read_history_observations

# ../shared next to the checkout (or next to the worktrees' folder, for a git worktree)
_REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = next(
    (
        p / "shared" / "reference" / "tmb" / "2024-train"
        for p in (_REPO.parent, _REPO.parent.parent)
        if (p / "shared" / "reference" / "tmb" / "2024-train").is_dir()
    ),
    _REPO.parent / "shared" / "reference" / "tmb" / "2024-train",
)
TARGETS = {
    "mae": (1.0, 0.95, 0.95, 0.95, 0.95),
    "brier_sold_out": (0.9, 0.9, 0.9, 0.9, 0.9),
    "brier_frees_up": (0.9, 0.9, 0.93, 0.95, 0.9),
}


def _print_scores(title: str, scores: pd.DataFrame) -> None:
    print(f"\n{title}")
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.precision", 3):
        print(scores.to_string(index=False))
    ratios = better_baseline(scores)
    print("forecast / better baseline (target; ok?):")
    for i, row in ratios.iterrows():
        judged = row["nights"] >= 100
        parts = []
        for name, targets in TARGETS.items():
            value, target = row[name], targets[int(str(i))]
            verdict = "" if not judged or np.isnan(value) else (" ok" if value <= target else " MISSED")
            parts.append(f"{name} {value:.3f} (≤{target}{verdict})")
        note = "" if judged else "  [fewer than 100 nights: not judged]"
        print(f"  {row['bucket']:>7}  nights {int(row['nights']):5d}  " + "  ".join(parts) + note)


def _changes_only(obs: pd.DataFrame) -> pd.DataFrame:
    obs = obs.sort_values(["hut", "night", "observed_at"])
    same = (
        (obs["hut"] == obs["hut"].shift())
        & (obs["night"] == obs["night"].shift())
        & (obs["free"] == obs["free"].shift())
    )
    last = (obs["hut"] != obs["hut"].shift(-1)) | (obs["night"] != obs["night"].shift(-1))
    return obs[~same | last]  # the last check of a night stays: it is the eve


def _tiled(obs: pd.DataFrame, huts: int, nights: int) -> pd.DataFrame:
    base = _changes_only(obs)
    span = (max(base["night"]) - min(base["night"])).days + 1
    frames = []
    labels = sorted(base["hut"].unique())
    copies = -(-huts // len(labels))
    seasons = -(-nights // span)
    for c in range(copies):
        for s in range(seasons):
            f = base.copy()
            f["hut"] = f["hut"] + f"~{c}"
            shift = pd.Timedelta(days=span * s)
            f["night"] = (pd.to_datetime(f["night"]) + shift).dt.date
            f["observed_at"] = f["observed_at"] + shift
            frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    keep = sorted(out["hut"].unique())[:huts]
    first = min(base["night"])
    out = out[out["hut"].isin(keep) & (out["night"] < first + dt.timedelta(days=nights))]
    return out.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--step", type=int, default=3, help="days between as-of times")
    parser.add_argument("--first", type=dt.date.fromisoformat, default=dt.date(2024, 6, 8))
    parser.add_argument("--last", type=dt.date.fromisoformat, default=dt.date(2024, 7, 30))
    parser.add_argument("--huts", type=int, default=700)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()

    began = time.perf_counter()
    obs = read_history_observations(args.data / "observations-2024-06-07.csv.gz", args.data / "huts.csv")
    read_s = time.perf_counter() - began
    print(f"TMB 2024: {len(obs):,} checks of {obs['hut'].nunique()} refuges read in {read_s:.1f} s")
    prepared = prepare(obs)
    noon = dt.time(12, tzinfo=dt.UTC)
    times = as_of_times(dt.datetime.combine(args.first, noon), dt.datetime.combine(args.last, noon), args.step)
    labels = sorted(obs["hut"].unique())
    tuning = [h for i, h in enumerate(labels) if i % 3 != 2]
    held_out = [h for i, h in enumerate(labels) if i % 3 == 2]
    began = time.perf_counter()
    _print_scores(f"tuning refuges ({len(tuning)}), {len(times)} as-of times", backtest(prepared, times, tuning))
    _print_scores(
        f"HELD-OUT refuges ({len(held_out)}, not tuned on), {len(times)} as-of times",
        backtest(prepared, times, held_out),
    )
    print(f"\nbacktest: {time.perf_counter() - began:.1f} s (both parts)")

    if args.skip_speed:
        return
    big = _tiled(obs, args.huts, args.nights)
    print(
        f"\nspeed: {big['hut'].nunique()} huts × {big['night'].nunique()} nights, {len(big):,} change rows "
        f"(TMB reduced to changes, tiled)"
    )
    began = time.perf_counter()
    big_prepared = prepare(big)
    prepared_s = time.perf_counter() - began
    as_of = dt.datetime.combine(min(big["night"]) + dt.timedelta(days=45), noon)
    began = time.perf_counter()
    result = forecast(big_prepared, as_of)
    forecast_s = time.perf_counter() - began
    print(
        f"prepare {prepared_s:.1f} s + forecast as of {as_of:%Y-%m-%d} {forecast_s:.1f} s "
        f"= {prepared_s + forecast_s:.1f} s (target ≤ 30 s) for {len(result):,} hut-nights, "
        f"learnt from {int(result['history_nights'].iloc[0]):,} past nights"
    )


if __name__ == "__main__":
    main()
