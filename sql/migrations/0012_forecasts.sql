-- 0012: forecasts: per hut and upcoming night, the forecast of its eve as of the last daily run
-- (forecast/model.py through defs/forecast.py; storage/forecasts.py). One row per hut-night,
-- replaced by every run; what the API, the night page and watches read. The backtest figures of
-- each run go to its Dagster metadata, not here.

CREATE TABLE hut_availability_forecast (
    hut_id              integer NOT NULL REFERENCES huts (id) ON DELETE CASCADE,
    availability_date   date NOT NULL,
    as_of               timestamptz NOT NULL,       -- the forecast used the checks up to this time
    free_now            integer NOT NULL CHECK (free_now >= 0),  -- the last check at or before as_of
    observed_at         timestamptz NOT NULL,       -- that check's time
    median_free         integer NOT NULL CHECK (median_free >= 0),  -- median forecast of the eve
    p_sold_out          double precision NOT NULL CHECK (p_sold_out BETWEEN 0 AND 1),
    p_frees_up          double precision CHECK (p_frees_up BETWEEN 0 AND 1),  -- NULL: places now
    history_nights      integer NOT NULL,           -- past hut-nights the model learnt from
    PRIMARY KEY (hut_id, availability_date),
    CHECK ((p_frees_up IS NULL) = (free_now > 0))
);
