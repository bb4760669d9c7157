-- Persist a block (the circuit breaker opened) so that the next process waits for it too.
INSERT INTO provider_status AS p (source_organization_id, blocked_until, blocked_since, last_block_reason, blocks)
VALUES (%(source_organization_id)s, %(blocked_until)s, %(blocked_since)s, %(reason)s, 1)
ON CONFLICT (source_organization_id) DO UPDATE SET
    blocked_until = greatest(p.blocked_until, excluded.blocked_until),
    blocked_since = excluded.blocked_since,
    last_block_reason = excluded.last_block_reason,
    blocks = p.blocks + 1
