"""The forecast of a hut-night's free places on its eve, as of a time T, from observations alone.

Input: a plain observations frame, one row per check of a hut-night (`OBSERVATION_COLUMNS`):
`hut` (any label, e.g. the slug), `night` (the date), `observed_at` (tz-aware time of the check),
`free` (free places, NaN when not published). Nothing else: no totals (sites without them work),
no database, no Dagster. Everything is computed from the rows with `observed_at <= T` only (no
look-ahead): a forecast as of T does not change when later observations are added.

The eve of a night is its last observation on or before the night's date (UTC); "sold out" is
`free == 0` on the eve; "frees up" is a later check before the night (eve included) with a free
place, for a night at 0 now.

The model, learnt at T from the nights already past (their whole curve is known by T), sampled at
TRAINING_LEADS and weighted by recency (RECENCY_DAYS), each sample described by its `State` (free
places, ever free, days since the value changed and since it last had places, most places seen,
changes so far, the share of the hut's neighbouring nights with places, the hut's releases and
sales in the last RECENT_DAYS):

- `p_sold_out`: a ridge-penalised logistic regression on the state per lead bucket and the hut's
  own sold-out rate shrunk towards the pool (`SHRINK` pseudo-nights): pooled across huts, per hut
  where a hut has history. Fitted by Newton steps.
- `p_frees_up`: the same kind of regression on the nights at 0, blended with the lead bucket's
  recency-weighted base rate (BLEND_FREES_UP). Null for nights with places now.
- `median_free`: today's value in the last week (NAIVE_BUCKETS); beyond, 0 when
  `p_sold_out >= 0.5` (more than half the outcomes are 0), otherwise the value now times the
  hut's median ratio of eve to value at that lead bucket shrunk towards the pooled ratio (pickup
  with shrinkage), and for a night at 0 the pooled median of the eve of such nights.

With no past night at all (the first weeks of a season) the forecast is honest about it: naive
(today's value) for `median_free`, and the prior probabilities `PRIOR_*` (a night at 0 stays at 0
with `PRIOR_STAYS_ZERO`, a night with places sells out with `PRIOR_SELLS_OUT`), flagged by
`history_nights == 0` in the output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ..errors import HutAvailabilityError

__all__ = [
    "FORECAST_COLUMNS",
    "LEAD_BUCKETS",
    "OBSERVATION_COLUMNS",
    "ForecastArrays",
    "ForecastError",
    "Prepared",
    "TrainingSet",
    "forecast",
    "forecast_arrays",
    "lead_bucket",
    "prepare",
    "training_set",
]

OBSERVATION_COLUMNS = ("hut", "night", "observed_at", "free")
FORECAST_COLUMNS = (
    "hut",
    "night",
    "lead",
    "free_now",
    "observed_at",
    "median_free",
    "p_sold_out",
    "p_frees_up",
    "history_nights",
)
LEAD_BUCKETS: tuple[tuple[int, int], ...] = ((1, 7), (8, 14), (15, 30), (31, 58), (59, 120))
# Leads (days) at which past nights are sampled to learn from: daily in the last two weeks, then
# sparser (a year of 700 huts' nights at every lead would be 30 million rows; this is 4.8).
TRAINING_LEADS = np.array(
    [*range(1, 15), *range(16, 31, 2), *range(34, 59, 4), *range(65, 121, 7)],
    dtype=np.int64,
)
MAX_TRAINING_AGE_DAYS = 180  # past nights older than this (before T) are not learnt from
RECENT_DAYS = 7  # the window of a hut's recent sales and releases (State.hut_freed, hut_sold)
RECENCY_DAYS = 21.0  # a past night's weight falls by e every 3 weeks: the season's dynamics drift
SHRINK = 20.0  # pseudo-observations of the pool in a hut's own rate or ratio
BLEND_FREES_UP = 0.25  # share of the lead bucket's base rate in p_frees_up
NAIVE_BUCKETS = 1  # lead buckets (from the first) where the median is today's value: nothing beat it there
MAX_FIT_ROWS = 150_000  # samples a regression is fitted on at most (see _fit_logistic)
RIDGE = 10.0  # L2 penalty of the logistic regressions (not on the intercepts)
PRIOR_SELLS_OUT = 0.1
PRIOR_STAYS_ZERO = 0.9
_DAY = 86_400
_EPS = 1e-6


class ForecastError(HutAvailabilityError, ValueError):
    """The observations cannot be forecast from (missing columns, bad values)."""


def lead_bucket(lead: np.ndarray) -> np.ndarray:
    """The index of each lead's bucket in LEAD_BUCKETS, -1 outside them (0 or beyond 120 days)."""
    out = np.full(lead.shape, -1, dtype=np.int64)
    for i, (lo, hi) in enumerate(LEAD_BUCKETS):
        out[(lead >= lo) & (lead <= hi)] = i
    return out


def _bucket_clipped(lead: np.ndarray) -> np.ndarray:
    """Bucket index with leads beyond the last bucket in the last one, below 1 in the first."""
    return lead_bucket(np.clip(lead, 1, LEAD_BUCKETS[-1][1]))


@dataclass(frozen=True)
class Prepared:
    """Observations sorted for lookups: per hut-night (a key), its checks in time order."""

    huts: np.ndarray  # labels of the keys' huts
    hut_codes: np.ndarray  # per key: index into hut_labels
    hut_labels: np.ndarray
    nights: np.ndarray  # per key: night as days since 1970-01-01
    key_values: np.ndarray  # per key, sorted: hut code * 1_000_000 + night
    combined: np.ndarray  # per check, sorted: key * 2**33 + seconds since 1970 (int64)
    free: np.ndarray  # per check, aligned with combined: float, NaN not published
    changed_at: np.ndarray  # per check: seconds of the check that set this value (the last change)
    free_seen_at: np.ndarray  # per check: seconds of the last check so far with free > 0 (-inf: none)
    max_free: np.ndarray  # per check: the most free places of the night so far
    changes: np.ndarray  # per check: how often the night's value changed so far
    freed_events: np.ndarray  # sorted: hut code * 2**33 + seconds of a check where a night at 0 got places
    sold_events: np.ndarray  # sorted: the same where a night with places went to 0
    first_free_at: np.ndarray  # per key: seconds of the first check with free > 0 (inf: none)
    last_free_before_night: np.ndarray  # per key: seconds of the last check by the eve with free > 0
    eve_at: np.ndarray  # per key: seconds of the eve check (inf: none)
    eve_free: np.ndarray  # per key: free on the eve (NaN: none)


def _validate(obs: pd.DataFrame) -> None:
    missing = [c for c in OBSERVATION_COLUMNS if c not in obs.columns]
    if missing:
        raise ForecastError(f"observations lack the column(s) {', '.join(missing)}")
    if len(obs) and not isinstance(obs["observed_at"].dtype, pd.DatetimeTZDtype):
        raise ForecastError("observations: observed_at must be tz-aware datetimes")
    free = pd.to_numeric(obs["free"], errors="coerce")
    if (free < 0).any():
        row = int(np.flatnonzero((free < 0).to_numpy())[0])
        raise ForecastError(f"observations: negative free places in row {row}")


def prepare(obs: pd.DataFrame) -> Prepared:
    """Index the observations once; forecasts at many as-of times reuse it. A check without
    published numbers (free NaN) tells nothing about the places: it is left out, and the last
    published check stands (its time is the forecast's `observed_at`)."""
    _validate(obs)
    obs = obs[pd.to_numeric(obs["free"], errors="coerce").notna()]
    hut_codes_all, hut_labels = pd.factorize(obs["hut"], sort=True)
    nights_all = (
        pd.to_datetime(obs["night"]).to_numpy(dtype="datetime64[D]").astype(np.int64)
        if len(obs)
        else np.empty(0, dtype=np.int64)
    )
    seconds = (
        obs["observed_at"].dt.tz_convert("UTC").to_numpy(dtype="datetime64[s]").astype(np.int64)
        if len(obs)
        else np.empty(0, dtype=np.int64)
    )
    free = pd.to_numeric(obs["free"], errors="coerce").to_numpy(dtype=float)
    pair = hut_codes_all.astype(np.int64) * 1_000_000 + nights_all
    key_all, key_values = pd.factorize(pair, sort=True)
    key_values = np.asarray(key_values, dtype=np.int64)
    k_hut = key_values // 1_000_000
    k_night = key_values - k_hut * 1_000_000
    combined = key_all.astype(np.int64) * (1 << 33) + seconds
    order = np.argsort(combined, kind="stable")
    combined, free, seconds_s, key_s = combined[order], free[order], seconds[order], key_all[order]
    n_keys = len(key_values)
    positive = free > 0
    first_free_at = np.full(n_keys, np.inf)
    np.minimum.at(first_free_at, key_s[positive], seconds_s[positive].astype(float))
    by_eve = seconds_s < (k_night[key_s] + 1) * _DAY
    eve_at = np.full(n_keys, -np.inf)
    np.maximum.at(eve_at, key_s[by_eve], seconds_s[by_eve].astype(float))
    last_free = np.full(n_keys, -np.inf)
    np.maximum.at(last_free, key_s[by_eve & positive], seconds_s[by_eve & positive].astype(float))
    eve_free = np.full(n_keys, np.nan)
    has_eve = np.isfinite(eve_at)
    eve_pos = np.searchsorted(
        combined, np.arange(n_keys, dtype=np.int64)[has_eve] * (1 << 33) + eve_at[has_eve].astype(np.int64), "right"
    )
    eve_free[has_eve] = free[eve_pos - 1]
    eve_at[~has_eve] = np.inf
    index = np.arange(len(combined))
    new_key = np.ones(len(combined), dtype=bool)
    new_key[1:] = key_s[1:] != key_s[:-1]
    changed = new_key.copy()
    changed[1:] |= free[1:] != free[:-1]
    changed_at = seconds_s[np.maximum.accumulate(np.where(changed, index, 0))] if len(index) else seconds_s
    last_pos = np.maximum.accumulate(np.where(positive, index, -1)) if len(index) else index
    same = (last_pos >= 0) & (key_s[np.maximum(last_pos, 0)] == key_s)
    free_seen_at = np.where(same, seconds_s[np.maximum(last_pos, 0)].astype(float), -np.inf)
    offset = key_s.astype(float) * 1e7
    max_free = np.maximum.accumulate(np.nan_to_num(free) + offset) - offset if len(index) else free
    count = np.cumsum(changed & ~new_key)
    changes = count - count[np.maximum.accumulate(np.where(new_key, index, 0))] if len(index) else count
    prev_zero = ~new_key
    prev_zero[1:] &= free[:-1] == 0
    prev_pos = ~new_key
    prev_pos[1:] &= free[:-1] > 0
    hut_time = k_hut[key_s].astype(np.int64) * (1 << 33) + seconds_s
    freed_events = np.sort(hut_time[prev_zero & positive])
    sold_events = np.sort(hut_time[prev_pos & (free == 0)])
    return Prepared(
        huts=np.asarray(hut_labels)[k_hut] if n_keys else np.empty(0, dtype=object),
        hut_codes=k_hut,
        hut_labels=np.asarray(hut_labels),
        nights=k_night,
        key_values=key_values,
        combined=combined,
        free=free,
        changed_at=changed_at.astype(float),
        free_seen_at=free_seen_at,
        max_free=max_free,
        changes=changes.astype(float),
        freed_events=freed_events,
        sold_events=sold_events,
        first_free_at=first_free_at,
        last_free_before_night=last_free,
        eve_at=eve_at,
        eve_free=eve_free,
    )


def _value_at(p: Prepared, keys: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Free places of each key at (or just before) each time, and that check's time (NaN/-1: none)."""
    q = keys.astype(np.int64) * (1 << 33) + at.astype(np.int64)
    pos = np.searchsorted(p.combined, q, side="right") - 1
    ok = pos >= 0
    ok[ok] = (p.combined[pos[ok]] >> 33) == keys[ok]
    value = np.full(len(keys), np.nan)
    when = np.full(len(keys), -1, dtype=np.int64)
    value[ok] = p.free[pos[ok]]
    when[ok] = p.combined[pos[ok]] & ((1 << 33) - 1)
    return value, when


NEIGHBOURS = (-2, -1, 1, 2)  # nights either side whose state at the same time tells a hut's sales


@dataclass(frozen=True)
class State:
    """What was known of hut-nights at given times: the model's inputs (aligned arrays)."""

    value: np.ndarray  # free places (NaN: no check yet)
    observed_at: np.ndarray  # seconds of that check (-1: none)
    ever_free: np.ndarray  # bool: a check so far had a free place
    days_since_change: np.ndarray  # since the value was first seen (0 for a first check)
    days_since_free: np.ndarray  # since the last check with a free place (inf: never)
    neighbours_open: np.ndarray  # share of the hut's nights nearby (NEIGHBOURS) with a free place
    max_free: np.ndarray  # the most free places seen for the night so far
    changes: np.ndarray  # how often its value changed so far
    hut_freed: np.ndarray  # the hut's nights at 0 that got places in the last RECENT_DAYS
    hut_sold: np.ndarray  # the hut's nights with places that went to 0 in the last RECENT_DAYS

    def subset(self, mask: np.ndarray) -> State:
        """The rows where `mask` holds."""
        return State(*(getattr(self, f.name)[mask] for f in fields(self)))


def _state_at(p: Prepared, keys: np.ndarray, at: np.ndarray) -> State:
    q = keys.astype(np.int64) * (1 << 33) + at.astype(np.int64)
    pos = np.searchsorted(p.combined, q, side="right") - 1
    ok = pos >= 0
    ok[ok] = (p.combined[pos[ok]] >> 33) == keys[ok]
    value = np.full(len(keys), np.nan)
    when = np.full(len(keys), -1, dtype=np.int64)
    since_change = np.zeros(len(keys))
    since_free = np.full(len(keys), np.inf)
    max_free = np.zeros(len(keys))
    changes = np.zeros(len(keys))
    max_free[ok] = p.max_free[pos[ok]]
    changes[ok] = p.changes[pos[ok]]
    value[ok] = p.free[pos[ok]]
    when[ok] = p.combined[pos[ok]] & ((1 << 33) - 1)
    since_change[ok] = (at[ok] - p.changed_at[pos[ok]]) / _DAY
    since_free[ok] = (at[ok] - p.free_seen_at[pos[ok]]) / _DAY
    open_count = np.zeros(len(keys))
    seen_count = np.zeros(len(keys))
    for d in NEIGHBOURS:
        wanted = p.key_values[keys] + d
        nk = np.searchsorted(p.key_values, wanted)
        nk_ok = nk < len(p.key_values)
        nk_ok[nk_ok] = p.key_values[nk[nk_ok]] == wanted[nk_ok]
        nvalue, _ = _value_at(p, nk[nk_ok], at[nk_ok])
        seen = ~np.isnan(nvalue)
        idx = np.flatnonzero(nk_ok)[seen]
        seen_count[idx] += 1
        open_count[idx] += nvalue[seen] > 0
    own = (np.nan_to_num(value) > 0).astype(float)
    neighbours_open = (open_count + own) / (seen_count + 1)
    hut_time = p.hut_codes[keys].astype(np.int64) * (1 << 33) + at.astype(np.int64)
    since = hut_time - RECENT_DAYS * _DAY
    freed = np.searchsorted(p.freed_events, hut_time, "right") - np.searchsorted(p.freed_events, since, "right")
    sold = np.searchsorted(p.sold_events, hut_time, "right") - np.searchsorted(p.sold_events, since, "right")
    return State(
        value,
        when,
        np.isfinite(since_free),
        since_change,
        since_free,
        neighbours_open,
        max_free,
        changes,
        freed.astype(float),
        sold.astype(float),
    )


@dataclass(frozen=True)
class TrainingSet:
    """Past nights sampled at TRAINING_LEADS as of T: what the model learns from."""

    hut: np.ndarray  # hut codes
    lead: np.ndarray
    state: State  # at that lead
    eve_free: np.ndarray
    frees_up: np.ndarray  # bool: a later check by the eve with a free place
    weight: np.ndarray  # recency: exp(-days since the night / RECENCY_DAYS)
    nights: int  # past nights learnt from

    @property
    def free(self) -> np.ndarray:
        """Free places at the sampled lead."""
        return self.state.value


def _as_of_seconds(as_of: dt.datetime) -> int:
    if as_of.tzinfo is None:
        raise ForecastError("as-of time must have a time zone")
    return int(as_of.timestamp())


def training_set(p: Prepared, as_of: dt.datetime) -> TrainingSet:
    """The past nights (night before T's UTC date, eve observed) sampled at the training leads,
    each at T's time of day: only checks at or before T are read."""
    t = _as_of_seconds(as_of)
    today = t // _DAY
    tod = t - today * _DAY
    past = (p.nights < today) & (p.nights >= today - MAX_TRAINING_AGE_DAYS) & np.isfinite(p.eve_at)
    past &= p.eve_at <= t
    keys = np.flatnonzero(past)
    k = np.repeat(keys, len(TRAINING_LEADS))
    lead = np.tile(TRAINING_LEADS, len(keys))
    at = (p.nights[k] - lead) * _DAY + tod
    value, _ = _value_at(p, k, at)
    ok = ~np.isnan(value) & ~np.isnan(p.eve_free[k])
    if ok.sum() > MAX_FIT_ROWS:  # a fixed random subset (the same for the same samples): see _fit_logistic
        chosen = np.sort(np.random.default_rng(0).choice(np.flatnonzero(ok), MAX_FIT_ROWS, replace=False))
        ok = np.zeros(len(ok), dtype=bool)
        ok[chosen] = True
    nights = len(np.unique(k[ok]))
    k, lead, at = k[ok], lead[ok], at[ok]
    return TrainingSet(
        hut=p.hut_codes[k],
        lead=lead,
        state=_state_at(p, k, at),
        eve_free=p.eve_free[k],
        frees_up=p.last_free_before_night[k] > at,
        weight=np.exp(-(today - p.nights[k]) / RECENCY_DAYS),
        nights=nights,
    )


def _logit(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, _EPS, 1 - _EPS)
    return np.asarray(np.log(x / (1 - x)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


def _fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, n_free: int, iterations: int = 12) -> np.ndarray:
    """Ridge-penalized, weighted logistic regression by Newton steps; the first `n_free` columns
    (the intercepts) are not penalized. Beyond MAX_FIT_ROWS samples a fixed random subset of them
    is fitted (the same subset for the same samples): 700 huts' year is 4 million samples, and the
    Newton steps were most of the forecast's time (12 of 18 s) for no visible gain in accuracy."""
    if len(y) > MAX_FIT_ROWS:
        keep = np.sort(np.random.default_rng(0).choice(len(y), MAX_FIT_ROWS, replace=False))
        x, y, weight = x[keep], y[keep], weight[keep]
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], RIDGE)
    penalty[:n_free] = 1e-6
    for _ in range(iterations):
        prob = _sigmoid(x @ beta)
        w = weight * prob * (1 - prob)
        grad = x.T @ (weight * (y - prob)) - penalty * beta
        hess = (x * w[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-5:
            break
    return beta


def _weighted_mean(y: np.ndarray, weight: np.ndarray) -> float:
    return float((y * weight).sum() / weight.sum()) if weight.sum() > 0 else 0.5


def _shrunk_rate(codes: np.ndarray, y: np.ndarray, n_codes: int) -> np.ndarray:
    """Per code (hut): its rate of y shrunk towards the pooled rate by SHRINK pseudo-counts,
    counted in nights rather than samples (each night is sampled at many leads)."""
    pooled = float(y.mean()) if len(y) else 0.5
    count = np.bincount(codes, minlength=n_codes).astype(float)
    hits = np.bincount(codes, weights=y.astype(float), minlength=n_codes)
    scale = len(TRAINING_LEADS)
    return np.asarray((hits / scale + SHRINK * pooled) / (count / scale + SHRINK))


def _onehot(bucket: np.ndarray) -> np.ndarray:
    out = np.zeros((len(bucket), len(LEAD_BUCKETS)))
    out[np.arange(len(bucket)), bucket] = 1.0
    return out


def _sold_out_features(bucket: np.ndarray, s: State, lead: np.ndarray, hut_rate: np.ndarray) -> np.ndarray:
    onehot = _onehot(bucket)
    zero = (s.value == 0).astype(float)[:, None]
    logfree = np.log1p(s.value)[:, None]
    ever = s.ever_free.astype(float)[:, None]
    return np.hstack(
        [
            onehot,
            onehot * zero,
            onehot * logfree,
            ever,
            ever * zero,
            np.log1p(lead)[:, None] / 5,
            _logit(hut_rate)[:, None] / 4,
            s.neighbours_open[:, None],
            s.neighbours_open[:, None] * zero,
            np.log1p(np.minimum(s.days_since_change, 365))[:, None] / 5,
            zero * np.log1p(np.minimum(s.days_since_free, 365))[:, None] / 5,
            np.log1p(s.max_free)[:, None] / 4,
            np.log1p(s.changes)[:, None] / 3,
            np.log1p(s.hut_freed)[:, None] / 3,
            np.log1p(s.hut_sold)[:, None] / 3,
        ]
    )


def _frees_up_features(bucket: np.ndarray, s: State, lead: np.ndarray, hut_rate: np.ndarray) -> np.ndarray:
    return np.hstack(
        [
            _onehot(bucket),
            s.ever_free.astype(float)[:, None],
            np.log1p(lead)[:, None] / 5,
            _logit(hut_rate)[:, None] / 4,
            s.neighbours_open[:, None],
            np.log1p(np.minimum(s.days_since_change, 365))[:, None] / 5,
            np.log1p(np.minimum(s.days_since_free, 365))[:, None] / 5,
            np.log1p(s.max_free)[:, None] / 4,
            np.log1p(s.changes)[:, None] / 3,
            np.log1p(s.hut_freed)[:, None] / 3,
            np.log1p(s.hut_sold)[:, None] / 3,
        ]
    )


def _weighted_ratio(train: TrainingSet, bucket: np.ndarray, n_huts: int) -> np.ndarray:
    """Per hut and lead bucket: the median ratio of eve to value (value > 0), shrunk towards the
    pooled median of the bucket. Returns an array n_huts × buckets."""
    nb = len(LEAD_BUCKETS)
    out = np.ones((n_huts, nb))
    pos = train.free > 0
    ratio = train.eve_free[pos] / train.free[pos]
    hb = train.hut[pos] * nb + bucket[pos]
    for b in range(nb):
        in_b = bucket[pos] == b
        pooled = float(np.median(ratio[in_b])) if in_b.any() else 1.0
        out[:, b] = pooled
    if not len(ratio):
        return out
    frame = pd.DataFrame({"hb": hb, "r": ratio})
    grouped = frame.groupby("hb")["r"]
    med = grouped.median()
    cnt = grouped.size() / len(TRAINING_LEADS) * nb  # ~ nights per bucket
    hs = med.index.to_numpy() // nb
    bs = med.index.to_numpy() % nb
    pooled_b = out[hs, bs]
    out[hs, bs] = (cnt.to_numpy() * med.to_numpy() + SHRINK * pooled_b) / (cnt.to_numpy() + SHRINK)
    return out


def forecast(p: Prepared, as_of: dt.datetime, *, max_lead: int = 400) -> pd.DataFrame:
    """Forecast every hut-night after T's date (up to `max_lead` days) that has a check by T.

    Columns FORECAST_COLUMNS: `lead` in days from T's UTC date, `free_now` the last check at or
    before T (`observed_at` its time), `median_free` an integer, probabilities in [0, 1],
    `p_frees_up` NaN for nights with places now, `history_nights` the past nights learnt from.
    """
    a = forecast_arrays(p, as_of, max_lead=max_lead)
    keys, hut = a.keys, p.hut_codes[a.keys]
    return pd.DataFrame(
        {
            "hut": p.hut_labels[hut] if len(hut) else np.empty(0, dtype=object),
            "night": pd.to_datetime(p.nights[keys], unit="D").date if len(keys) else np.empty(0, dtype=object),
            "lead": a.lead,
            "free_now": a.value.astype(np.int64),
            "observed_at": pd.to_datetime(a.state.observed_at, unit="s", utc=True),
            "median_free": a.median,
            "p_sold_out": a.p_sold_out,
            "p_frees_up": a.p_frees_up,
            "history_nights": np.full(len(keys), a.train.nights, dtype=np.int64),
        },
        columns=list(FORECAST_COLUMNS),
    )


@dataclass(frozen=True)
class ForecastArrays:
    """A forecast as arrays aligned on `keys` (indexes of Prepared's hut-nights), with the
    training set it learnt from: what the backtest scores."""

    keys: np.ndarray
    lead: np.ndarray
    state: State
    median: np.ndarray
    p_sold_out: np.ndarray
    p_frees_up: np.ndarray
    train: TrainingSet

    @property
    def value(self) -> np.ndarray:
        return self.state.value


def _median_pickup(
    train: TrainingSet,
    t_bucket: np.ndarray,
    n_huts: int,
    hut: np.ndarray,
    value: np.ndarray,
    zero: np.ndarray,
    bucket: np.ndarray,
    p_sold: np.ndarray,
) -> np.ndarray:
    ratio = _weighted_ratio(train, t_bucket, n_huts)
    ratio[:, : int(NAIVE_BUCKETS)] = 1.0
    median = np.rint(value * ratio[hut, bucket])
    tz = train.free == 0
    for b in range(len(LEAD_BUCKETS)):
        in_b = tz & (t_bucket == b)
        if in_b.any() and b >= NAIVE_BUCKETS:
            median[zero & (bucket == b)] = float(np.median(train.eve_free[in_b]))
    median[(p_sold >= 0.5) & (bucket >= NAIVE_BUCKETS)] = 0
    return median


def forecast_arrays(p: Prepared, as_of: dt.datetime, *, max_lead: int = 400) -> ForecastArrays:
    """`forecast` without the frame."""
    t = _as_of_seconds(as_of)
    today = t // _DAY
    future = np.flatnonzero((p.nights > today) & (p.nights <= today + max_lead))
    value, _ = _value_at(p, future, np.full(len(future), t, dtype=np.int64))
    keys = future[~np.isnan(value)]
    state = _state_at(p, keys, np.full(len(keys), t, dtype=np.int64))
    lead = p.nights[keys] - today
    hut = p.hut_codes[keys]
    train = training_set(p, as_of)
    median, p_sold, p_up = _predict(train, len(p.hut_labels), hut, state, lead, _bucket_clipped(lead))
    return ForecastArrays(keys, lead, state, median, p_sold, p_up, train)


def _predict(
    train: TrainingSet,
    n_huts: int,
    hut: np.ndarray,
    state: State,
    lead: np.ndarray,
    bucket: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    value = state.value
    zero = value == 0
    if train.nights == 0:
        p_sold = np.where(zero, PRIOR_STAYS_ZERO, PRIOR_SELLS_OUT)
        p_up = np.where(zero, 1 - PRIOR_STAYS_ZERO, np.nan)
        return value.astype(np.int64), p_sold, p_up
    t_bucket = _bucket_clipped(train.lead)
    sold = (train.eve_free == 0).astype(float)
    hut_sold = _shrunk_rate(train.hut, sold, n_huts)
    x = _sold_out_features(t_bucket, train.state, train.lead, hut_sold[train.hut])
    beta = _fit_logistic(x, sold, train.weight, n_free=len(LEAD_BUCKETS))
    p_sold = _sigmoid(_sold_out_features(bucket, state, lead, hut_sold[hut]) @ beta)

    p_up = np.full(len(value), np.nan)
    tz = train.free == 0
    if tz.any() and zero.any():
        up = train.frees_up[tz].astype(float)
        hut_up = _shrunk_rate(train.hut[tz], up, n_huts)
        xz = _frees_up_features(t_bucket[tz], train.state.subset(tz), train.lead[tz], hut_up[train.hut[tz]])
        beta_up = _fit_logistic(xz, up, train.weight[tz], n_free=len(LEAD_BUCKETS))
        xf = _frees_up_features(bucket[zero], state.subset(zero), lead[zero], hut_up[hut[zero]])
        # blended with the recency-weighted base rate of the lead bucket: the regression alone is
        # overconfident (its samples are the same nights at many leads; tuning: 0.25 is best of 0, 0.1, 0.25)
        tb = t_bucket[tz]
        base = np.array([_weighted_mean(up[tb == b], train.weight[tz][tb == b]) for b in range(len(LEAD_BUCKETS))])
        p_up[zero] = (1 - BLEND_FREES_UP) * _sigmoid(xf @ beta_up) + BLEND_FREES_UP * base[bucket[zero]]
    elif zero.any():
        p_up[zero] = 1 - PRIOR_STAYS_ZERO

    median = _median_pickup(train, t_bucket, n_huts, hut, value, zero, bucket, p_sold)
    return median.astype(np.int64), p_sold, p_up
