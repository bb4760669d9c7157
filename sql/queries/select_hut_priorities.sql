-- Every active bookable hut with what decides its refresh tier: the highest occupancy among its
-- dates in [today, today + horizon_days), a sold-out night (full, or not bookable online: no
-- numbers, nothing left online) counting as fully booked, and its fetch status.
SELECT h.id AS hut_id, h.slug, o.slug AS source, h.source_hut_id, h.hut_type_open, h.hut_type_closed,
       h.source_organization_id,
       u.max_occupancy,
       s.last_attempt, s.last_success, coalesce(s.consecutive_failures, 0) AS consecutive_failures, s.last_error
FROM huts h
JOIN organizations o ON o.id = h.source_organization_id
LEFT JOIN hut_fetch_status s ON s.hut_id = h.id
-- per hut, so that each hut's dates are one range of the primary key (hut_id, availability_date)
LEFT JOIN LATERAL (
    SELECT max(CASE WHEN a.day_state IN ('full', 'not_bookable_online') THEN 100.0
                    ELSE a.occupancy_percent END) AS max_occupancy
    FROM hut_availability a
    WHERE a.hut_id = h.id
      AND a.availability_date >= %(today)s
      AND a.availability_date < %(today)s + %(horizon_days)s::integer
) u ON true
WHERE h.is_active AND h.source_hut_id IS NOT NULL
ORDER BY h.id
