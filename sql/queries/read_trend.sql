-- The states of one hut-date that were in force at some time in the window
-- [window_start, now], oldest first. A state is in force from its first check until the next
-- state's first check (superseded_at), or until now when none followed; so the state already in
-- force when the window opened is included, even when its last confirmation lies before the
-- window, and so are today's changes. States first seen after `now` are ignored (`now` may lie
-- in the past). last_checked and duration_seconds are the view's (effective for the open state).
WITH states AS (
    SELECT v.id, v.free, v.total, v.occupancy_percent, v.hut_type, v.reservation_status, v.day_state,
           v.first_checked, v.last_checked, v.duration_seconds,
           lead(v.first_checked) OVER (ORDER BY v.first_checked, v.id) AS superseded_at
    FROM hut_availability_history_states v
    WHERE v.hut_id = %(hut_id)s
      AND v.availability_date = %(availability_date)s
      AND v.first_checked <= %(now)s
)
SELECT id AS state_id, free, total, occupancy_percent, hut_type, reservation_status, day_state, first_checked,
       last_checked, duration_seconds, superseded_at
FROM states
WHERE superseded_at IS NULL OR superseded_at > %(window_start)s
ORDER BY first_checked, id
