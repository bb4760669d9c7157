-- What the evaluation needs of the given watches (locked before, watch_lock.sql), by id: the
-- spec, the memory, the huts in order, and how many notifications the current episode has had
-- (the next one's sequence). One statement for all of them, not one per watch.
SELECT w.id, w.name, w.kind, w.date_from, w.date_to, w.nights, w.beds, w.created_at,
       w.satisfied, w.episode, w.notified_options, w.notified_free,
       (SELECT array_agg(wh.hut_id ORDER BY wh.position) FROM watch_huts wh WHERE wh.watch_id = w.id) AS hut_ids,
       (SELECT count(*) FROM notifications n
         WHERE n.watch_id = w.id AND n.kind = 'availability' AND n.episode = w.episode) AS sequence
FROM watches w
WHERE w.id = ANY(%(ids)s::integer[])
ORDER BY w.id
