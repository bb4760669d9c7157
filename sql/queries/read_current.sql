-- The one availability query of the read side (`show`, the API's /v1/availability, the web table
-- and its CSV): the current state of hut-dates in [date_from, date_to] passing the filters (each
-- NULL: not applied), sorted by one of a fixed set of keys (`sort`, `descending`; then by hut slug
-- and date), one page of it (OFFSET/LIMIT; LIMIT NULL: all), with how many rows match in all.
-- search matches a hut's name or slug, case-insensitively, anywhere in it; min_free is the party
-- size (nights with at least that many free places).
SELECT h.slug, h.name, a.availability_date, a.free, a.total, a.occupancy_percent,
       a.occupancy_steps, a.occupancy_status, a.reservation_status, a.hut_type, a.day_state, o.slug AS source,
       a.source_hut_id, a.link, a.first_checked, a.last_checked,
       count(*) OVER () AS matched
FROM hut_availability a
JOIN huts h ON h.id = a.hut_id
LEFT JOIN organizations o ON o.id = a.source_organization_id
WHERE a.availability_date >= %(date_from)s
  AND a.availability_date <= %(date_to)s
  AND (%(occupancy_statuses)s::text[] IS NULL OR a.occupancy_status = ANY(%(occupancy_statuses)s::text[]))
  AND (%(reservation_statuses)s::text[] IS NULL OR a.reservation_status = ANY(%(reservation_statuses)s::text[]))
  AND (%(hut_types)s::text[] IS NULL OR a.hut_type = ANY(%(hut_types)s::text[]))
  AND (%(day_states)s::text[] IS NULL OR a.day_state = ANY(%(day_states)s::text[]))
  AND (%(sources)s::text[] IS NULL OR o.slug = ANY(%(sources)s::text[]))
  AND (%(min_free)s::integer IS NULL OR a.free >= %(min_free)s::integer)
  AND (%(search)s::text IS NULL
       OR strpos(lower(h.name), lower(%(search)s::text)) > 0
       OR strpos(h.slug, lower(%(search)s::text)) > 0)
ORDER BY
    CASE WHEN %(sort)s = 'name' AND NOT %(descending)s THEN lower(h.name) END ASC,
    CASE WHEN %(sort)s = 'name' AND %(descending)s THEN lower(h.name) END DESC,
    CASE WHEN %(sort)s = 'date' AND NOT %(descending)s THEN a.availability_date END ASC,
    CASE WHEN %(sort)s = 'date' AND %(descending)s THEN a.availability_date END DESC,
    CASE WHEN %(sort)s = 'free' AND NOT %(descending)s THEN a.free END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'free' AND %(descending)s THEN a.free END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'total' AND NOT %(descending)s THEN a.total END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'total' AND %(descending)s THEN a.total END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'occupancy' AND NOT %(descending)s THEN a.occupancy_percent END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'occupancy' AND %(descending)s THEN a.occupancy_percent END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'state' AND NOT %(descending)s THEN a.day_state END ASC,
    CASE WHEN %(sort)s = 'state' AND %(descending)s THEN a.day_state END DESC,
    CASE WHEN %(sort)s = 'last_checked' AND NOT %(descending)s THEN a.last_checked END ASC,
    CASE WHEN %(sort)s = 'last_checked' AND %(descending)s THEN a.last_checked END DESC,
    h.slug, a.availability_date
OFFSET %(offset)s
LIMIT %(limit)s
