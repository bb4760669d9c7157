-- Stored trends with their hut, by hut slug and date; each filter NULL: not applied.
SELECT h.slug, h.name, t.availability_date, t.computed_at, t.day_state, t.free, t.total, t.occupancy_percent,
       t.is_full, t.became_full_at, t.days_before_full, t.booked_per_day, t.booked_last_week,
       t.changes_last_week, t.free_week_ago, t.occupancy_week_ago
FROM hut_availability_trends t
JOIN huts h ON h.id = t.hut_id
WHERE (%(hut_id)s::integer IS NULL OR t.hut_id = %(hut_id)s::integer)
  AND (%(date_from)s::date IS NULL OR t.availability_date >= %(date_from)s::date)
  AND (%(date_to)s::date IS NULL OR t.availability_date <= %(date_to)s::date)
ORDER BY h.slug, t.availability_date
