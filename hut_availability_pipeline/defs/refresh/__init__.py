"""Definitions of the refresh: hut partitions, the `hut_catalog` and `hut_refresh` assets, the refresh
jobs and their op, the IO manager (fetch and store through `refresh.parallel.refresh_huts`), the
due-hut sensor and schedules, run liveness, the CLI update's record, the after-refresh sensor."""
