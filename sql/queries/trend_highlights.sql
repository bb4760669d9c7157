-- The upcoming hut-dates (>= today) where most places were booked in the last week, then those
-- that filled up earliest: a short list for the materialization summary.
SELECT h.slug, t.availability_date, t.day_state, t.free, t.total, t.occupancy_percent, t.occupancy_week_ago,
       t.booked_last_week, t.days_before_full
FROM hut_availability_trends t
JOIN huts h ON h.id = t.hut_id
WHERE t.availability_date >= %(today)s
ORDER BY t.booked_last_week DESC NULLS LAST, t.days_before_full DESC NULLS LAST, h.slug, t.availability_date
LIMIT %(limit)s
