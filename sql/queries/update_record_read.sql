-- One record of an update, for the run that logs it.
SELECT record_id, created_at, trigger, huts, report, recorded_at, run_id
FROM update_records
WHERE record_id = %(record_id)s
