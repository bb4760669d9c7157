-- 0005: the day state of every night (domain/day_state.py): bookable, full, not_bookable_online,
-- winter_room, closed, unknown. It is part of a state: moving into or out of it is a change.
--
-- Existing rows keep their meaning. Before 0005 a state was (free, total, hut_type,
-- reservation_status), and the parser could produce only these combinations:
--   reservation possible                  -> bookable (SERVICED, free > 0)
--   reservation not_possible              -> full     (SERVICED, free = 0)
--   hut type closed                       -> closed   (CLOSED, stored as free 0, total 0)
--   reservation not_online, not closed    -> winter_room (UNSERVICED / NOT_SERVICED)
--   anything else                         -> unknown
-- A not-bookable-online night (SERVICED with freeBeds null) was rejected, so none is stored.
-- On a closed night the site publishes no free places (freeBeds null, totalSleepingPlaces 0):
-- the old stored 0 free becomes NULL, as the parser now stores it, so the first check after the
-- upgrade sees no change.

CREATE FUNCTION day_state_of_0004_row(free integer, hut_type text, reservation_status text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN hut_type = 'closed' THEN 'closed'
        WHEN reservation_status = 'possible' AND free > 0 THEN 'bookable'
        WHEN reservation_status = 'not_possible' AND free = 0 THEN 'full'
        WHEN reservation_status = 'not_online' THEN 'winter_room'
        ELSE 'unknown'
    END
$$;

ALTER TABLE hut_availability ADD COLUMN day_state text;
UPDATE hut_availability
SET day_state = day_state_of_0004_row(free, hut_type, reservation_status),
    free = CASE WHEN hut_type = 'closed' THEN NULL ELSE free END,
    total = CASE WHEN hut_type = 'closed' THEN 0 ELSE total END;
ALTER TABLE hut_availability ALTER COLUMN day_state SET NOT NULL;

ALTER TABLE hut_availability_history ADD COLUMN day_state text;
UPDATE hut_availability_history
SET day_state = day_state_of_0004_row(free, hut_type, reservation_status),
    free = CASE WHEN hut_type = 'closed' THEN NULL ELSE free END,
    total = CASE WHEN hut_type = 'closed' THEN 0 ELSE total END;
ALTER TABLE hut_availability_history ALTER COLUMN day_state SET NOT NULL;

DROP FUNCTION day_state_of_0004_row(integer, text, text);

-- What a day state allows, in both tables: a bookable night has free places, a full one has
-- none, and a night without places offered is free NULL (not published), total 0.
ALTER TABLE hut_availability ADD CONSTRAINT hut_availability_day_state_check CHECK (
    day_state IN ('bookable', 'full', 'not_bookable_online', 'winter_room', 'closed', 'unknown')
    AND (day_state <> 'bookable' OR coalesce(free, 0) > 0)
    AND (day_state <> 'full' OR free IS NOT DISTINCT FROM 0)
    AND (day_state NOT IN ('not_bookable_online', 'closed') OR (free IS NULL AND total = 0))
);
ALTER TABLE hut_availability_history ADD CONSTRAINT hut_availability_history_day_state_check CHECK (
    day_state IN ('bookable', 'full', 'not_bookable_online', 'winter_room', 'closed', 'unknown')
    AND (day_state <> 'bookable' OR coalesce(free, 0) > 0)
    AND (day_state <> 'full' OR free IS NOT DISTINCT FROM 0)
    AND (day_state NOT IN ('not_bookable_online', 'closed') OR (free IS NULL AND total = 0))
);

-- The view gains the day state (new columns of a view go last).
CREATE OR REPLACE VIEW hut_availability_history_states AS
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
           AS duration_seconds,
       h.day_state
FROM hut_availability_history h
LEFT JOIN hut_availability a
       ON a.hut_id = h.hut_id AND a.availability_date = h.availability_date;

-- Trends: whether the night is sold out online (full, or not bookable online) at computed_at,
-- and its day state then. is_full and became_full_at now count not-bookable-online nights as
-- sold out; the daily derivation recomputes every upcoming date.
ALTER TABLE hut_availability_trends ADD COLUMN day_state text;
