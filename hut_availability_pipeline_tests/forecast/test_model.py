"""The forecast model on real TMB checks (fixtures/tmb, MIT) and on small frames spelt out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hut_availability_pipeline.forecast.model import FORECAST_COLUMNS, ForecastError, forecast, prepare
from hut_availability_pipeline.forecast.observations import read_history_observations, until

from ..conftest import FIXTURES

TMB = FIXTURES / "tmb"
AS_OF = dt.datetime(2024, 7, 5, 10, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def tmb() -> pd.DataFrame:
    return read_history_observations(TMB / "observations-extract.csv.gz", TMB / "huts.csv")


def test_forecast_as_of_t_ignores_later_checks(tmb: pd.DataFrame) -> None:
    """No look-ahead: the checks after T (two more weeks of them) change nothing as of T."""
    seen = forecast(prepare(until(tmb, AS_OF)), AS_OF)
    everything = forecast(prepare(tmb), AS_OF)
    assert len(seen) == 6 * 15  # six refuges, nights 07-06..07-20
    assert len(until(tmb, AS_OF)) < len(tmb)
    pd.testing.assert_frame_equal(seen, everything)


def test_forecast_values_are_well_formed(tmb: pd.DataFrame) -> None:
    f = forecast(prepare(tmb), AS_OF)
    assert list(f.columns) == list(FORECAST_COLUMNS)
    assert f["night"].min() == dt.date(2024, 7, 6) and f["night"].max() == dt.date(2024, 7, 20)
    assert f["lead"].tolist() == [(n - AS_OF.date()).days for n in f["night"]]
    assert ((f["p_sold_out"] >= 0) & (f["p_sold_out"] <= 1)).all()
    assert (f["median_free"] >= 0).all()
    with_places = f["free_now"] > 0
    assert f.loc[with_places, "p_frees_up"].isna().all()  # null for nights with places now
    at_zero = f.loc[~with_places, "p_frees_up"]
    assert at_zero.notna().all() and ((at_zero >= 0) & (at_zero <= 1)).all()
    assert (f["history_nights"] == 6 * 15).all()  # 06-20..07-04 of six refuges are past
    # free_now is the last check at or before T (08:00 UTC that day)
    last = until(tmb, AS_OF)
    row = f.iloc[0]
    own = last[(last["hut"] == row["hut"]) & (last["night"] == row["night"])]
    assert row["free_now"] == own.sort_values("observed_at")["free"].iloc[-1]
    assert row["observed_at"] == pd.Timestamp("2024-07-05T08:00:00+00:00")


def test_sold_out_nights_are_more_likely_sold_out_than_open_ones(tmb: pd.DataFrame) -> None:
    f = forecast(prepare(tmb), AS_OF)
    short = f[f["lead"] <= 7]
    at_zero = short.loc[short["free_now"] == 0, "p_sold_out"]
    with_places = short.loc[short["free_now"] > 5, "p_sold_out"]
    assert at_zero.mean() > with_places.mean()


def _frame(rows: list[tuple[str, str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hut": [r[0] for r in rows],
            "night": [dt.date.fromisoformat(r[1]) for r in rows],
            "observed_at": pd.to_datetime([r[2] for r in rows], utc=True),
            "free": [np.nan if r[3] is None else r[3] for r in rows],
        }
    )


def test_without_past_nights_the_forecast_is_naive_and_says_so() -> None:
    obs = _frame(
        [
            ("a", "2024-07-10", "2024-07-01T08:00:00+00:00", 4),
            ("a", "2024-07-11", "2024-07-01T08:00:00+00:00", 0),
            ("a", "2024-07-11", "2024-07-02T08:00:00+00:00", None),  # not published: the 0 of 07-01 stands
            ("b", "2024-07-10", "2024-07-02T08:00:00+00:00", 7),
            ("b", "2024-07-10", "2024-07-03T08:00:00+00:00", 6),  # after T
        ]
    )
    f = forecast(prepare(obs), dt.datetime(2024, 7, 2, 12, tzinfo=dt.UTC))
    assert f[["hut", "night", "free_now", "median_free", "history_nights"]].values.tolist() == [
        ["a", dt.date(2024, 7, 10), 4, 4, 0],
        ["a", dt.date(2024, 7, 11), 0, 0, 0],
        ["b", dt.date(2024, 7, 10), 7, 7, 0],
    ]
    assert f["p_sold_out"].tolist() == [0.1, 0.9, 0.1]
    assert f["p_frees_up"].isna().tolist() == [True, False, True]


def test_bad_observations_are_refused_naming_what() -> None:
    with pytest.raises(ForecastError, match="free"):
        prepare(_frame([("a", "2024-07-10", "2024-07-01T08:00:00+00:00", -1)]))
    with pytest.raises(ForecastError, match="night"):
        prepare(pd.DataFrame({"hut": [], "observed_at": [], "free": []}))
    obs = _frame([("a", "2024-07-10", "2024-07-01T08:00:00+00:00", 1)])
    with pytest.raises(ForecastError, match="time zone"):
        forecast(prepare(obs), dt.datetime(2024, 7, 2))
