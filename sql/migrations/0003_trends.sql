-- 0003: trends: how the free places of every hut and upcoming date evolved, derived daily from
-- the change history (storage/trends.py, sql/queries/trend_*.sql). One row per hut-date, replaced
-- while the date is upcoming and kept as last computed once it has passed.

CREATE TABLE hut_availability_trends (
    hut_id              integer NOT NULL REFERENCES huts (id) ON DELETE CASCADE,
    availability_date   date NOT NULL,
    computed_at         timestamptz NOT NULL,   -- the `now` the trend was derived at
    free                integer,                -- the state in force at computed_at
    total               integer,
    occupancy_percent   double precision,
    is_full             boolean NOT NULL,       -- no free place left (of more than none) at computed_at
    became_full_at      timestamptz,            -- first check of the first full state; NULL: never full
    days_before_full    integer,                -- availability_date minus the (local) date of became_full_at
    booked_per_day      integer[] NOT NULL,     -- places booked (net of cancellations) on each of the 7 days
                                                -- ending on computed_at's date, oldest first; NULL: not tracked
    booked_last_week    integer,                -- their sum (NULL when none is known)
    changes_last_week   integer NOT NULL,       -- states first seen in those 7 days
    free_week_ago       integer,                -- the state in force 7 days before computed_at
    occupancy_week_ago  double precision,       -- (NULL: the date was not tracked yet)
    PRIMARY KEY (hut_id, availability_date),
    CHECK (cardinality(booked_per_day) = 7)
);

CREATE INDEX hut_availability_trends_date_idx ON hut_availability_trends (availability_date, hut_id);
