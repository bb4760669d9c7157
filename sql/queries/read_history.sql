-- Every state of one hut-date, oldest first, with when the next one replaced it.
SELECT v.id AS state_id, v.free, v.total, v.occupancy_percent, v.hut_type, v.reservation_status, v.day_state,
       v.first_checked, v.last_checked, v.duration_seconds,
       lead(v.first_checked) OVER (ORDER BY v.first_checked, v.id) AS superseded_at
FROM hut_availability_history_states v
WHERE v.hut_id = %(hut_id)s
  AND v.availability_date = %(availability_date)s
ORDER BY v.first_checked, v.id
