-- Per-session staging tables of one batch; emptied at every commit (the writer empties them itself
-- when its batch is only a savepoint in a caller's transaction).
-- incoming_availability: the batch as fetched. incoming_changes: the hut-dates whose state changed
-- (few in a steady pass), with the last time the old state was confirmed.
CREATE TEMPORARY TABLE IF NOT EXISTS incoming_availability (
    hut_id                  integer NOT NULL,
    availability_date       date NOT NULL,
    source_organization_id  integer,
    source_hut_id           text,
    free                    integer,
    total                   integer,
    occupancy_percent       double precision,
    occupancy_steps         smallint,
    occupancy_status        text NOT NULL,
    reservation_status      text NOT NULL,
    link                    text,
    hut_type                text NOT NULL,
    day_state               text NOT NULL,
    checked_at              timestamptz NOT NULL
) ON COMMIT DELETE ROWS;

CREATE TEMPORARY TABLE IF NOT EXISTS incoming_changes (
    hut_id              integer NOT NULL,
    availability_date   date NOT NULL,
    previous_checked    timestamptz NOT NULL
) ON COMMIT DELETE ROWS;
