-- The nights that can count for the given watches: from today on, within the nights each of
-- their huts touches, and only bookable ones with a free place (any other night never counts,
-- domain/watches.py). A hut-date shared by several watches comes once per watch hut; the caller
-- keeps one.
--
-- One index range scan of hut_availability's primary key per watch hut (~1,000 for a refresh
-- batch's ~570 watches). OFFSET 0 keeps the planner from flattening the LATERAL subquery into a
-- hash join over the whole current state: it picks that plan (a sequential scan of all 34,000
-- nights of benchmarks/bench_watches.py, 23-50 ms) over the range scans (8 ms), misjudging how
-- few rows the ranges hold.
SELECT n.hut_id, n.availability_date, n.free, n.first_checked, n.link
FROM watch_huts wh
CROSS JOIN LATERAL (
    SELECT a.hut_id, a.availability_date, a.free, a.first_checked, a.link
    FROM hut_availability a
    WHERE a.hut_id = wh.hut_id
      AND a.availability_date BETWEEN greatest(wh.night_from, %(today)s::date) AND wh.night_to
      AND a.day_state = 'bookable'
      AND a.free >= 1
    OFFSET 0
) n
WHERE wh.watch_id = ANY(%(watch_ids)s::integer[])
