-- The stored forecast of one hut (slug), optionally one night; the nights in date order.
SELECT h.slug AS hut, f.availability_date AS date, f.as_of, f.free_now, f.observed_at, f.median_free,
       f.p_sold_out, f.p_frees_up, f.history_nights
FROM hut_availability_forecast f
JOIN huts h ON h.id = f.hut_id
WHERE h.slug = %(slug)s
  AND (%(date)s::date IS NULL OR f.availability_date = %(date)s::date)
ORDER BY f.availability_date
