-- The stored history as checks in the `history import` format: every state at its first check
-- and, when later, at its last check (for the open state: the current table's last check), so
-- that importing the output rebuilds the same states. Optional filters: one hut (slug), a range
-- of nights, and an as-of time. With an as-of time only what a forecaster knew then is read,
-- whatever was stored since: the states begun by then at their first check, and the last check
-- of the states that ended by then (the next state began by then) or whose night had passed by
-- then (UTC date; nights are not checked after they pass). The last check of a state still open
-- at the as-of time is otherwise left out: a later check may have moved it past the as-of time.
WITH states AS (
    SELECT s.hut_id, s.availability_date, s.free, s.total, s.first_checked, s.last_checked,
           lead(s.first_checked) OVER (
               PARTITION BY s.hut_id, s.availability_date ORDER BY s.first_checked
           ) AS next_first_checked
    FROM hut_availability_history_states s
    JOIN huts h ON h.id = s.hut_id
    WHERE (%(hut)s::text IS NULL OR h.slug = %(hut)s::text)
      AND (%(from_date)s::date IS NULL OR s.availability_date >= %(from_date)s::date)
      AND (%(to_date)s::date IS NULL OR s.availability_date <= %(to_date)s::date)
),
checks AS (
    SELECT hut_id, availability_date, free, total, first_checked AS observed_at FROM states
    WHERE %(as_of)s::timestamptz IS NULL OR first_checked <= %(as_of)s::timestamptz
    UNION ALL
    SELECT hut_id, availability_date, free, total, last_checked FROM states
    WHERE last_checked > first_checked
      AND (%(as_of)s::timestamptz IS NULL
           OR next_first_checked <= %(as_of)s::timestamptz
           OR (availability_date < (%(as_of)s::timestamptz AT TIME ZONE 'UTC')::date
               AND last_checked <= %(as_of)s::timestamptz))
)
SELECT c.observed_at, o.slug AS source, h.source_hut_id, h.slug, c.availability_date AS date, c.free, c.total
FROM checks c
JOIN huts h ON h.id = c.hut_id
JOIN organizations o ON o.id = h.source_organization_id
ORDER BY c.observed_at, o.slug, h.source_hut_id, c.availability_date
