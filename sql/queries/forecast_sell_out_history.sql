-- How a hut's past nights (the year before `today`) sold out, from their derived trends: how
-- many there are, how many became full, and the median days before the night they did.
SELECT count(*)::integer AS nights,
       count(days_before_full)::integer AS sold_out,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY days_before_full) AS median_days_before
FROM hut_availability_trends
WHERE hut_id = %(hut_id)s
  AND availability_date < %(today)s::date
  AND availability_date >= %(today)s::date - 365
