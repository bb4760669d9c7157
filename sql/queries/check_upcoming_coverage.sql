-- Check: active bookable huts that lack a current state for some date in
-- [today, today + horizon_days) while their last fetch did not fail (a failure is recorded in
-- hut_fetch_status and is the check's accepted excuse). One row per hut with the missing dates;
-- `violations` is the number of such huts.
WITH days AS (
    SELECT %(today)s::date + i AS availability_date
    FROM generate_series(0, %(horizon_days)s::integer - 1) AS i
),
gaps AS (
    SELECT h.slug, d.availability_date
    FROM huts h
    CROSS JOIN days d
    LEFT JOIN hut_fetch_status s ON s.hut_id = h.id
    WHERE h.is_active
      AND h.source_hut_id IS NOT NULL
      AND coalesce(s.consecutive_failures, 0) = 0
      AND NOT EXISTS (
          SELECT 1 FROM hut_availability a
          WHERE a.hut_id = h.id AND a.availability_date = d.availability_date
      )
)
SELECT slug, count(*) AS missing_dates, min(availability_date) AS first_missing,
       max(availability_date) AS last_missing, count(*) OVER () AS violations
FROM gaps
GROUP BY slug
ORDER BY slug
LIMIT %(limit)s
