-- The record was logged by this run.
UPDATE update_records
SET recorded_at = %(recorded_at)s, run_id = %(run_id)s
WHERE record_id = %(record_id)s
