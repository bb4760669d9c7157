-- Open a state for every changed hut-date, first checked at the check that saw it. (New hut-dates
-- open theirs in write_insert_current.)
WITH opened AS (
    INSERT INTO hut_availability_history
        (hut_id, availability_date, free, total, occupancy_percent, hut_type, reservation_status, day_state,
         first_checked)
    SELECT i.hut_id, i.availability_date, i.free, i.total, i.occupancy_percent, i.hut_type,
           i.reservation_status, i.day_state, i.checked_at
    FROM incoming_changes c
    JOIN incoming_availability i
      ON i.hut_id = c.hut_id AND i.availability_date = c.availability_date
    RETURNING hut_id
)
SELECT hut_id, count(*) FROM opened GROUP BY hut_id
