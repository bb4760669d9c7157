-- Per hut: how many current-state rows lie in the fetched date range (parallel arrays). One range
-- scan of the primary key per hut: joining the whole table instead made the planner read all of it
-- (every hut's rows) for every batch, a cost that grew with the table rather than the batch.
SELECT r.hut_id,
       (SELECT count(*) FROM hut_availability a
        WHERE a.hut_id = r.hut_id AND a.availability_date >= r.start_date AND a.availability_date < r.end_date)
FROM unnest(%(hut_ids)s::integer[], %(starts)s::date[], %(ends)s::date[]) AS r (hut_id, start_date, end_date)
