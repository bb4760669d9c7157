-- The names of the given huts, for the messages of the notifications an evaluation queues.
SELECT id, name
FROM huts
WHERE id = ANY(%(ids)s::integer[])
