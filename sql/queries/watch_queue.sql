-- The notifications an evaluation decided, into the outbox in one statement; a key already
-- there (the same decision taken before) is kept, not doubled.
INSERT INTO notifications (watch_id, episode, sequence, idempotency_key, title, body)
SELECT * FROM unnest(%(watch_ids)s::integer[], %(episodes)s::integer[], %(sequences)s::integer[],
                     %(keys)s::text[], %(titles)s::text[], %(bodies)s::text[])
ON CONFLICT (idempotency_key) DO NOTHING
