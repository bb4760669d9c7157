-- Record one hut's attempt: success resets the failure count, failure increments it.
INSERT INTO hut_fetch_status AS s
    (hut_id, last_attempt, last_success, consecutive_failures, last_error, last_rows, last_rejected_days)
VALUES (%(hut_id)s, %(attempted_at)s, CASE WHEN %(ok)s THEN %(attempted_at)s END,
        CASE WHEN %(ok)s THEN 0 ELSE 1 END, %(error)s, %(rows)s, %(rejected_days)s)
ON CONFLICT (hut_id) DO UPDATE SET
    last_attempt = greatest(s.last_attempt, excluded.last_attempt),
    last_success = CASE WHEN %(ok)s THEN greatest(s.last_success, excluded.last_success)
                        ELSE s.last_success END,
    consecutive_failures = CASE WHEN %(ok)s THEN 0 ELSE s.consecutive_failures + 1 END,
    last_error = excluded.last_error,
    last_rows = coalesce(excluded.last_rows, s.last_rows),
    last_rejected_days = excluded.last_rejected_days
