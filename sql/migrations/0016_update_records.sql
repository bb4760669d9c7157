-- 0016: the records of `hut-availability update` waiting to be shown in Dagster.
-- The command stores what it did as one JSON document (refresh/record.py) instead of loading
-- Dagster itself; the daemon's update_record_sensor requests one hut_update_report_job run per new
-- row, which logs the per-hut materializations and sets recorded_at and run_id.
CREATE TABLE update_records (
    record_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    trigger     text NOT NULL CHECK (trigger <> ''),   -- who ran the update (cli, chaos, ...)
    huts        integer NOT NULL CHECK (huts >= 0),    -- huts the update tried
    report      jsonb NOT NULL,                        -- refresh.record.UpdateRecord.to_document()
    recorded_at timestamptz,                           -- when its run logged it (NULL: not yet)
    run_id      text,                                  -- that run
    CHECK ((recorded_at IS NULL) = (run_id IS NULL))
);
