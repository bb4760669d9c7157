-- The one availability query of the read side (`show`, the API's /v1/availability, the web table
-- and its CSV): the current state of hut-dates in [date_from, date_to] passing the filters (each
-- NULL: not applied), sorted by one of a fixed set of keys (`sort`, `descending`; then by hut slug
-- and date), one page of it (OFFSET/LIMIT; LIMIT NULL: all), and, when `count`, how many rows match
-- in all (NULL otherwise: with no LIMIT the page is every row from OFFSET on).
-- search matches a hut's name or slug, case-insensitively, anywhere in it; min_free is the party
-- size (nights with at least that many free places).
--
-- Planned with the parameters' values (never prepared: see queries.execute_unprepared), so that the
-- sort keys not chosen fold to NULL and the ORDER BY is the chosen key only, and `count` false
-- folds the count away.
WITH matched AS NOT MATERIALIZED (  -- inlined at both uses: the page and the count plan it each their own way
    SELECT h.slug, h.name, a.availability_date, a.free, a.total, a.occupancy_percent,
           a.occupancy_steps, a.occupancy_status, a.reservation_status, a.hut_type, a.day_state,
           o.slug AS source, a.source_hut_id, a.link, a.first_checked, a.last_checked
    FROM huts h
    -- from each hut to its dates, one range of the primary key (hut_id, availability_date): there
    -- is no index by date (0004). OFFSET 0 keeps the planner from flattening this into a join, which
    -- it planned as a parallel scan of the whole table (EXPLAIN ANALYZE on bench_read's year of
    -- data: 48 ms to find the web table's week, against 6 ms for the 567 lookups). Sorted by
    -- name (the default), the huts come in order from huts_name_idx (0015), each hut's few dates
    -- are sorted as they come (Incremental Sort), and the walk stops once the page is full.
    CROSS JOIN LATERAL (
        SELECT *
        FROM hut_availability a
        WHERE a.hut_id = h.id
          AND a.availability_date >= %(date_from)s
          AND a.availability_date <= %(date_to)s
        OFFSET 0
    ) a
    LEFT JOIN organizations o ON o.id = a.source_organization_id
    WHERE (%(occupancy_statuses)s::text[] IS NULL OR a.occupancy_status = ANY(%(occupancy_statuses)s::text[]))
      AND (%(reservation_statuses)s::text[] IS NULL OR a.reservation_status = ANY(%(reservation_statuses)s::text[]))
      AND (%(hut_types)s::text[] IS NULL OR a.hut_type = ANY(%(hut_types)s::text[]))
      AND (%(day_states)s::text[] IS NULL OR a.day_state = ANY(%(day_states)s::text[]))
      AND (%(sources)s::text[] IS NULL OR o.slug = ANY(%(sources)s::text[]))
      AND (%(min_free)s::integer IS NULL OR a.free >= %(min_free)s::integer)
      AND (%(search)s::text IS NULL
           OR strpos(lower(h.name), lower(%(search)s::text)) > 0
           OR strpos(h.slug, lower(%(search)s::text)) > 0)
)
SELECT m.*,
       -- an InitPlan: run once, at the first matching row (none: no count); it needs no order,
       -- so it does not keep the page from stopping at the LIMIT, as count(*) OVER () did
       CASE WHEN %(count)s THEN (SELECT count(*) FROM matched) END AS matched
FROM matched m
ORDER BY
    CASE WHEN %(sort)s = 'name' AND NOT %(descending)s THEN lower(m.name) END ASC,
    CASE WHEN %(sort)s = 'name' AND %(descending)s THEN lower(m.name) END DESC,
    CASE WHEN %(sort)s = 'date' AND NOT %(descending)s THEN m.availability_date END ASC,
    CASE WHEN %(sort)s = 'date' AND %(descending)s THEN m.availability_date END DESC,
    CASE WHEN %(sort)s = 'free' AND NOT %(descending)s THEN m.free END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'free' AND %(descending)s THEN m.free END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'total' AND NOT %(descending)s THEN m.total END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'total' AND %(descending)s THEN m.total END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'occupancy' AND NOT %(descending)s THEN m.occupancy_percent END ASC NULLS LAST,
    CASE WHEN %(sort)s = 'occupancy' AND %(descending)s THEN m.occupancy_percent END DESC NULLS LAST,
    CASE WHEN %(sort)s = 'state' AND NOT %(descending)s THEN m.day_state END ASC,
    CASE WHEN %(sort)s = 'state' AND %(descending)s THEN m.day_state END DESC,
    CASE WHEN %(sort)s = 'last_checked' AND NOT %(descending)s THEN m.last_checked END ASC,
    CASE WHEN %(sort)s = 'last_checked' AND %(descending)s THEN m.last_checked END DESC,
    m.slug, m.availability_date
OFFSET %(offset)s
LIMIT %(limit)s
