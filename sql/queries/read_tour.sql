-- The current state of the tour's huts (by slug) on every night of [date_from, date_to]: one row
-- per hut and stored night (a hut without any stored night in the range gives no row).
SELECT h.slug, a.availability_date, a.day_state, a.free, a.total, a.link, a.last_checked
FROM huts h
JOIN hut_availability a
  ON a.hut_id = h.id
 AND a.availability_date >= %(date_from)s
 AND a.availability_date <= %(date_to)s
WHERE h.slug = ANY(%(slugs)s::text[])
