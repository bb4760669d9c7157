-- Check: hut-dates with more than one open history state (last_checked IS NULL); there must be at
-- most one. `violations` is the number of such hut-dates.
SELECT h.slug, o.availability_date, o.open_states, count(*) OVER () AS violations
FROM (
    SELECT hut_id, availability_date, count(*) AS open_states
    FROM hut_availability_history
    WHERE last_checked IS NULL
    GROUP BY hut_id, availability_date
    HAVING count(*) > 1
) o
JOIN huts h ON h.id = o.hut_id
ORDER BY h.slug, o.availability_date
LIMIT %(limit)s
