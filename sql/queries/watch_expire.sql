-- Mark the given watches expired (their window has passed), now.
UPDATE watches
SET expired_at = now()
WHERE id = ANY(%(ids)s::integer[])
