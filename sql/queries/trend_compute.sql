-- Derive the trend of every hut and upcoming date (>= today) from the history as of `now`.
-- A state is in force from its first check until the next state's first check (superseded_at).
-- A night is sold out when nothing can be booked online: day state full or not_bookable_online
-- (is_full counts both). It *became* full only when it was seen bookable (with places) first:
-- became_full_at is the first sold-out state after its first bookable state, so a night never
-- bookable (e.g. "not bookable online" from its first check) has no became_full_at nor
-- days_before_full.
-- Parameters: now, today (now's date in the configured zone), zone (that zone's name).
WITH points AS (
    -- k = 0..6: the start of each of the 7 days ending today (local midnight); k = 7: now;
    -- k = -1: a week before now. The state in force at each of them is looked up below.
    SELECT k, (%(today)s::date - 6 + k)::timestamp AT TIME ZONE %(zone)s::text AS at
    FROM generate_series(0, 6) AS k
    UNION ALL SELECT 7, %(now)s::timestamptz
    UNION ALL SELECT -1, %(now)s::timestamptz - interval '7 days'
),
states AS (
    SELECT h.hut_id, h.availability_date, h.free, h.total, h.occupancy_percent, h.day_state, h.first_checked,
           lead(h.first_checked) OVER (
               PARTITION BY h.hut_id, h.availability_date ORDER BY h.first_checked, h.id
           ) AS superseded_at,
           min(h.first_checked) FILTER (WHERE h.day_state = 'bookable') OVER (
               PARTITION BY h.hut_id, h.availability_date
           ) AS first_bookable_at
    FROM hut_availability_history h
    WHERE h.availability_date >= %(today)s
      AND h.first_checked <= %(now)s
),
per_date AS (
    SELECT hut_id, availability_date,
           min(first_checked) FILTER (
               WHERE day_state IN ('full', 'not_bookable_online') AND first_checked > first_bookable_at
           ) AS became_full_at,
           count(*) FILTER (WHERE first_checked >= (SELECT at FROM points WHERE k = 0)) AS changes_last_week
    FROM states
    GROUP BY hut_id, availability_date
),
in_force AS (
    SELECT s.hut_id, s.availability_date, p.k, s.free, s.total, s.occupancy_percent, s.day_state
    FROM states s
    JOIN points p
      ON s.first_checked <= p.at AND (s.superseded_at IS NULL OR s.superseded_at > p.at)
    WHERE s.superseded_at IS NULL OR s.superseded_at > %(now)s::timestamptz - interval '7 days'
),
pivot AS (
    SELECT hut_id, availability_date,
           ARRAY[max(free) FILTER (WHERE k = 0), max(free) FILTER (WHERE k = 1),
                 max(free) FILTER (WHERE k = 2), max(free) FILTER (WHERE k = 3),
                 max(free) FILTER (WHERE k = 4), max(free) FILTER (WHERE k = 5),
                 max(free) FILTER (WHERE k = 6), max(free) FILTER (WHERE k = 7)] AS free_at,
           max(free) FILTER (WHERE k = 7) AS free,
           max(total) FILTER (WHERE k = 7) AS total,
           max(occupancy_percent) FILTER (WHERE k = 7) AS occupancy_percent,
           max(day_state) FILTER (WHERE k = 7) AS day_state,
           max(free) FILTER (WHERE k = -1) AS free_week_ago,
           max(occupancy_percent) FILTER (WHERE k = -1) AS occupancy_week_ago
    FROM in_force
    GROUP BY hut_id, availability_date
),
inserted AS (
    INSERT INTO hut_availability_trends
        (hut_id, availability_date, computed_at, free, total, occupancy_percent, is_full,
         became_full_at, days_before_full, booked_per_day, booked_last_week, changes_last_week,
         free_week_ago, occupancy_week_ago, day_state)
    SELECT p.hut_id, p.availability_date, %(now)s, p.free, p.total, p.occupancy_percent,
           coalesce(p.day_state IN ('full', 'not_bookable_online'), false),
           d.became_full_at,
           p.availability_date - (d.became_full_at AT TIME ZONE %(zone)s::text)::date,
           b.booked,
           (SELECT sum(x) FROM unnest(b.booked) AS x),
           d.changes_last_week,
           p.free_week_ago, p.occupancy_week_ago, p.day_state
    FROM pivot p
    JOIN per_date d ON d.hut_id = p.hut_id AND d.availability_date = p.availability_date
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT p.free_at[i] - p.free_at[i + 1] FROM generate_series(1, 7) AS i ORDER BY i)
            AS booked
    ) AS b
    RETURNING hut_id, is_full, booked_last_week
)
SELECT count(*) AS rows,
       count(DISTINCT hut_id) AS huts,
       count(*) FILTER (WHERE is_full) AS full_dates,
       count(*) FILTER (WHERE booked_last_week > 0) AS booked_dates
FROM inserted
