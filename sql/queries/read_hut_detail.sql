-- One hut (by id or by slug, the other one NULL; active or not) with its current state on each
-- date in [date_from, date_to]; same columns as read_map. No row when the hut does not exist.
SELECT h.id AS hut_id, h.slug, h.name, h.country, h.lat, h.lon, h.elevation, h.capacity, o.slug AS source,
       h.source_hut_id, h.is_active,
       a.availability_date, a.free, a.total, a.occupancy_percent, a.occupancy_steps,
       a.occupancy_status, a.reservation_status, a.hut_type, a.day_state, a.link, a.first_checked,
       a.last_checked,
       1 AS matched_huts
FROM huts h
LEFT JOIN organizations o ON o.id = h.source_organization_id
LEFT JOIN hut_availability a
       ON a.hut_id = h.id
      AND a.availability_date >= %(date_from)s
      AND a.availability_date <= %(date_to)s
WHERE h.id = coalesce(%(hut_id)s::integer, (SELECT id FROM huts WHERE slug = %(slug)s))
ORDER BY a.availability_date
