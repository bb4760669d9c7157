-- The current state of every night the given watches can touch, from today on.
SELECT wh.watch_id, a.hut_id, a.availability_date, a.day_state, a.free, a.first_checked, a.link
FROM watch_huts wh
JOIN hut_availability a
  ON a.hut_id = wh.hut_id
 AND a.availability_date BETWEEN greatest(wh.night_from, %(today)s) AND wh.night_to
WHERE wh.watch_id = ANY(%(watch_ids)s::integer[])
