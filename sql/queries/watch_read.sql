-- Watches with their huts in order (NULL ids: all), and their newest notification.
SELECT w.id, w.name, w.kind, w.date_from, w.date_to, w.nights, w.beds, w.notify_url, w.created_at,
       w.expired_at, w.evaluated_at, w.satisfied, w.episode, w.notified_options, w.notified_free,
       array_agg(wh.hut_id ORDER BY wh.position) AS hut_ids,
       array_agg(h.slug ORDER BY wh.position) AS hut_slugs,
       array_agg(h.name ORDER BY wh.position) AS hut_names,
       n.id AS notification_id, n.created_at AS notification_created_at, n.attempts, n.next_attempt_at,
       n.last_attempt_at, n.last_error, n.delivered_at
FROM watches w
JOIN watch_huts wh ON wh.watch_id = w.id
JOIN huts h ON h.id = wh.hut_id
LEFT JOIN LATERAL (
    SELECT * FROM notifications n WHERE n.watch_id = w.id ORDER BY n.id DESC LIMIT 1
) n ON true
WHERE w.id = ANY(coalesce(%(ids)s::integer[], ARRAY(SELECT id FROM watches)))
GROUP BY w.id, n.id, n.created_at, n.attempts, n.next_attempt_at, n.last_attempt_at, n.last_error, n.delivered_at
ORDER BY w.id
