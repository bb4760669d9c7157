-- Records logged before the cutoff: their runs are purged by then (dagster_maintenance_job keeps 30 days).
DELETE FROM update_records
WHERE recorded_at < %(cutoff)s
