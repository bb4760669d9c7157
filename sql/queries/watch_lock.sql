-- Lock the given active watches (NULL ids: every active one; a watch awaiting its confirmation,
-- pending_until set, is not active yet) for this transaction, in id order:
-- concurrent evaluators take turns per watch and never deadlock. A statement of its own, before
-- the watches are read (watch_evaluate.sql): a statement that waited for a lock sees the newest
-- version of the rows it locked, but its subqueries (the notifications of the current episode)
-- would still see the snapshot taken before it waited.
SELECT id
FROM watches
WHERE expired_at IS NULL AND pending_until IS NULL
  AND id = ANY(coalesce(%(ids)s::integer[],
                        ARRAY(SELECT id FROM watches WHERE expired_at IS NULL AND pending_until IS NULL)))
ORDER BY id
FOR UPDATE
