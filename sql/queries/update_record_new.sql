-- Records of updates after the sensor's cursor that no run has logged yet, oldest first.
SELECT record_id, trigger, huts
FROM update_records
WHERE record_id > %(after)s AND recorded_at IS NULL
ORDER BY record_id
LIMIT %(limit)s
