-- The watch of a confirmation or an unsubscribe token (the other is NULL), as its pages show it;
-- a pending watch past its day counts as gone (it is deleted by the next purge).
SELECT w.id, array_agg(h.name ORDER BY wh.position) AS hut_names, w.date_from, w.date_to, w.beds,
       w.pending_until IS NOT NULL AS pending
FROM watches w
JOIN watch_huts wh ON wh.watch_id = w.id
JOIN huts h ON h.id = wh.hut_id
WHERE (w.confirm_token = %(confirm_token)s OR w.unsubscribe_token = %(unsubscribe_token)s)
  AND (w.pending_until IS NULL OR w.pending_until > now())
GROUP BY w.id
