-- Active (confirmed, unexpired) watches whose nights include a hut-date that changed (a new state first seen) at or
-- after %(since)s: the history's new states, matched to watch_huts by hut and night range.
SELECT DISTINCT wh.watch_id
FROM (
    SELECT DISTINCT hut_id, availability_date
    FROM hut_availability_history
    WHERE first_checked >= %(since)s
      AND availability_date >= %(today)s
) c
JOIN watch_huts wh
  ON wh.hut_id = c.hut_id
 AND c.availability_date BETWEEN wh.night_from AND wh.night_to
JOIN watches w ON w.id = wh.watch_id AND w.expired_at IS NULL AND w.pending_until IS NULL
