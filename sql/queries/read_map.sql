-- The map: a page of active huts (in slug order, optionally only the given slugs) with their
-- current state on each date in [date_from, date_to]. One row per hut-date; a hut with no state
-- in the range gives one row with NULL date; an empty page gives one row with NULL hut.
-- matched_huts: how many huts match before paging (for the page's links).
WITH matched AS (
    SELECT h.id, h.slug
    FROM huts h
    WHERE h.is_active
      AND (%(slugs)s::text[] IS NULL OR h.slug = ANY(%(slugs)s::text[]))
),
page AS (
    SELECT id, slug FROM matched ORDER BY slug OFFSET %(offset)s LIMIT %(limit)s
)
SELECT h.id AS hut_id, h.slug, h.name, h.country, h.lat, h.lon, h.elevation, h.capacity, o.slug AS source,
       h.source_hut_id, h.is_active,
       a.availability_date, a.free, a.total, a.occupancy_percent, a.occupancy_steps,
       a.occupancy_status, a.reservation_status, a.hut_type, a.day_state, a.link, a.first_checked,
       a.last_checked,
       (SELECT count(*) FROM matched) AS matched_huts
FROM (SELECT 1) AS one
LEFT JOIN page p ON true
LEFT JOIN huts h ON h.id = p.id
LEFT JOIN organizations o ON o.id = h.source_organization_id
LEFT JOIN hut_availability a
       ON a.hut_id = p.id
      AND a.availability_date >= %(date_from)s
      AND a.availability_date <= %(date_to)s
ORDER BY p.slug, a.availability_date
