-- What the evaluation needs of the given active watches (NULL ids: every active one), locked
-- in id order for this transaction (concurrent evaluators take turns per watch, never deadlock):
-- the spec, the memory, the huts in order, and how many notifications the current episode has
-- had (the next one's sequence). One statement for all of them, not one per watch.
WITH locked AS (
    SELECT w.id, w.name, w.kind, w.date_from, w.date_to, w.nights, w.beds, w.created_at,
           w.satisfied, w.episode, w.notified_options, w.notified_free
    FROM watches w
    WHERE w.expired_at IS NULL
      AND w.id = ANY(coalesce(%(ids)s::integer[], ARRAY(SELECT id FROM watches WHERE expired_at IS NULL)))
    ORDER BY w.id
    FOR UPDATE
)
SELECT l.*,
       (SELECT array_agg(wh.hut_id ORDER BY wh.position) FROM watch_huts wh WHERE wh.watch_id = l.id) AS hut_ids,
       (SELECT count(*) FROM notifications n
         WHERE n.watch_id = l.id AND n.kind = 'availability' AND n.episode = l.episode) AS sequence
FROM locked l
ORDER BY l.id
