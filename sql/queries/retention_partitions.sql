-- The monthly partitions of the history with their [start, end) of availability dates, oldest first.
SELECT p.name, p.bounds[1]::date AS start_date, p.bounds[2]::date AS end_date
FROM (
    SELECT c.relname::text AS name,
           regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') AS bounds
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'hut_availability_history'::regclass
) p
WHERE p.bounds IS NOT NULL
ORDER BY start_date
