-- The current state of every hut-date in [date_from, date_to] that passes the filters (each
-- filter NULL: not applied), by hut slug and date; search matches a hut's name or slug,
-- case-insensitively, anywhere in it. Up to `limit` rows.
SELECT h.slug, h.name, a.availability_date, a.free, a.total, a.occupancy_percent,
       a.occupancy_steps, a.occupancy_status, a.reservation_status, a.hut_type, a.day_state, o.slug AS source,
       a.source_hut_id, a.link, a.first_checked, a.last_checked
FROM huts h
-- per hut, in slug order, so that each hut's dates are one range of the primary key (hut_id,
-- availability_date) and the LIMIT stops the walk early
CROSS JOIN LATERAL (
    SELECT *
    FROM hut_availability a
    WHERE a.hut_id = h.id
      AND a.availability_date >= %(date_from)s
      AND a.availability_date <= %(date_to)s
    ORDER BY a.availability_date
) a
LEFT JOIN organizations o ON o.id = a.source_organization_id
WHERE (%(occupancy_statuses)s::text[] IS NULL OR a.occupancy_status = ANY(%(occupancy_statuses)s::text[]))
  AND (%(reservation_statuses)s::text[] IS NULL OR a.reservation_status = ANY(%(reservation_statuses)s::text[]))
  AND (%(hut_types)s::text[] IS NULL OR a.hut_type = ANY(%(hut_types)s::text[]))
  AND (%(day_states)s::text[] IS NULL OR a.day_state = ANY(%(day_states)s::text[]))
  AND (%(sources)s::text[] IS NULL OR o.slug = ANY(%(sources)s::text[]))
  AND (%(search)s::text IS NULL
       OR strpos(lower(h.name), lower(%(search)s::text)) > 0
       OR strpos(h.slug, lower(%(search)s::text)) > 0)
ORDER BY h.slug, a.availability_date
LIMIT %(limit)s
