-- 0002: the change history partitioned by month of availability date, so that retention drops
-- whole partitions instead of deleting rows; and the provider-level block ("blocked until") that
-- a new process must respect after the provider's firewall blocked the previous one.
--
-- Upgrades a database made by 0001 in place: the old table is renamed, its rows moved into the
-- partitioned table (same ids, same sequence), then dropped. Partitions are created on demand by
-- ensure_history_partitions(); there is no DEFAULT partition (attaching a month next to a filled
-- DEFAULT partition would have to scan it), so the writer ensures the months of a batch first.

DROP VIEW hut_availability_history_states;

ALTER TABLE hut_availability_history RENAME TO hut_availability_history_0001;
ALTER TABLE hut_availability_history_0001 RENAME CONSTRAINT hut_availability_history_pkey
    TO hut_availability_history_0001_pkey;
ALTER INDEX hut_availability_history_one_open_idx RENAME TO hut_availability_history_0001_one_open_idx;
ALTER INDEX hut_availability_history_first_checked_idx RENAME TO hut_availability_history_0001_first_checked_idx;
ALTER SEQUENCE hut_availability_history_id_seq OWNED BY NONE;

CREATE TABLE hut_availability_history (
    id                  bigint NOT NULL DEFAULT nextval('hut_availability_history_id_seq'),
    hut_id              integer NOT NULL REFERENCES huts (id) ON DELETE CASCADE,
    availability_date   date NOT NULL,
    free                integer,
    total               integer,
    occupancy_percent   double precision,
    hut_type            text NOT NULL,
    reservation_status  text NOT NULL,
    first_checked       timestamptz NOT NULL,
    last_checked        timestamptz,
    PRIMARY KEY (hut_id, availability_date, id),
    CHECK (last_checked IS NULL OR last_checked >= first_checked)
) PARTITION BY RANGE (availability_date);

ALTER SEQUENCE hut_availability_history_id_seq OWNED BY hut_availability_history.id;

-- At most one open state per hut and date (the key includes the partition key, so it is global).
CREATE UNIQUE INDEX hut_availability_history_one_open_idx
    ON hut_availability_history (hut_id, availability_date)
    WHERE last_checked IS NULL;

CREATE INDEX hut_availability_history_first_checked_idx
    ON hut_availability_history (hut_id, availability_date, first_checked);

-- Create the monthly partitions hut_availability_history_YYYY_MM covering [from_date, to_date]
-- that do not exist yet; returns how many were created. Concurrent callers are serialized by an
-- advisory lock (and a lost race is caught), and a month that exists costs one catalog lookup. Call it in a short
-- transaction of its own: creating a partition locks the parent table until commit.
CREATE FUNCTION ensure_history_partitions(from_date date, to_date date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m       date := date_trunc('month', from_date)::date;
    part    text;
    created integer := 0;
BEGIN
    IF from_date IS NULL OR to_date IS NULL THEN
        RETURN 0;
    END IF;
    WHILE m <= to_date LOOP
        part := 'hut_availability_history_' || to_char(m, 'YYYY_MM');
        IF to_regclass(part) IS NULL THEN
            PERFORM pg_advisory_xact_lock(7303181002);
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF hut_availability_history FOR VALUES FROM (%L) TO (%L)',
                    part, m, (m + interval '1 month')::date
                );
                created := created + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL;  -- created by a concurrent caller (this function's catalog snapshot missed it)
            END;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

-- Move the rows of 0001 (months that hold rows only: dates may be sparse).
SELECT ensure_history_partitions(m, m)
FROM (SELECT DISTINCT date_trunc('month', availability_date)::date AS m FROM hut_availability_history_0001) s;

INSERT INTO hut_availability_history
    (id, hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status,
     first_checked, last_checked)
SELECT id, hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status,
       first_checked, last_checked
FROM hut_availability_history_0001;

DROP TABLE hut_availability_history_0001;

-- Every state with its effective last_checked (for the open state: the current table's) and
-- how long it lasted (so far). Unchanged from 0001.
CREATE VIEW hut_availability_history_states AS
SELECT h.id,
       h.hut_id,
       h.availability_date,
       h.free,
       h.total,
       h.occupancy_percent,
       h.hut_type,
       h.reservation_status,
       h.first_checked,
       coalesce(h.last_checked, a.last_checked) AS last_checked,
       h.last_checked IS NULL AS is_current,
       extract(epoch FROM coalesce(h.last_checked, a.last_checked) - h.first_checked)::double precision
           AS duration_seconds
FROM hut_availability_history h
LEFT JOIN hut_availability a
       ON a.hut_id = h.hut_id AND a.availability_date = h.availability_date;

-- Provider-level state that must outlive a process: after repeated 403/429 the provider is
-- blocked until `blocked_until`, and every run (any process) waits for it before asking again.
CREATE TABLE provider_status (
    source_organization_id  integer PRIMARY KEY REFERENCES organizations (id),
    blocked_until           timestamptz,
    blocked_since           timestamptz,
    last_block_reason       text,
    blocks                  integer NOT NULL DEFAULT 0    -- how often the breaker opened, ever
);
