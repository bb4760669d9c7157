-- Check: current states whose occupancy is outside 0..100 percent (NaN included: it sorts above 100),
-- each with its hut and date; `violations` is the number of such rows in the whole table.
SELECT h.slug, a.availability_date, a.occupancy_percent, count(*) OVER () AS violations
FROM hut_availability a
JOIN huts h ON h.id = a.hut_id
WHERE a.occupancy_percent < 0 OR a.occupancy_percent > 100
ORDER BY h.slug, a.availability_date
LIMIT %(limit)s
