-- Check: current states with more free places than places in total (free <= total must hold),
-- each with its hut and date; `violations` is the number of such rows in the whole table.
SELECT h.slug, a.availability_date, a.free, a.total, count(*) OVER () AS violations
FROM hut_availability a
JOIN huts h ON h.id = a.hut_id
WHERE a.free > a.total
ORDER BY h.slug, a.availability_date
LIMIT %(limit)s
