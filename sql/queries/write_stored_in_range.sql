-- Per hut: how many current-state rows lie in the fetched date range (parallel arrays).
SELECT r.hut_id, count(a.availability_date)
FROM unnest(%(hut_ids)s::integer[], %(starts)s::date[], %(ends)s::date[]) AS r (hut_id, start_date, end_date)
JOIN hut_availability a
  ON a.hut_id = r.hut_id AND a.availability_date >= r.start_date AND a.availability_date < r.end_date
GROUP BY r.hut_id
