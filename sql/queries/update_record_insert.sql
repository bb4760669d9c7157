-- Keep the record of an update for Dagster (update_record_sensor requests its run).
INSERT INTO update_records (trigger, huts, report)
VALUES (%(trigger)s, %(huts)s, %(report)s)
RETURNING record_id
