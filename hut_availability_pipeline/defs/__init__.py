"""Dagster definitions only, sliced by domain (as dagster-open-platform does), composed by
`definitions.py`:

- `refresh/`: the hut partitions, the `hut_refresh` asset, the refresh jobs and their op, the IO
  manager that fetches and stores through `refresh.parallel.refresh_huts` (the CLI's call too),
  the sensor and schedules that pick due huts, the run liveness check, the CLI update's record
  and the sensor that starts checks and trends after refreshes;
- `checks/`: the asset checks of the availability tables and their job and schedule;
- `trends/`: the trend assets, job and schedule;
- `watches/`: the watch evaluation sensor and delivery job;
- `housekeeping/`: retention of history partitions and Dagster's own storage maintenance;
- `resources.py`: the settings, database and providers resources every slice shares.

Thin wiring: the work is in plain, separately tested code (`refresh/`, `catalog/`, `watches/`,
`storage/`). Process supervision (dev, deploy) is `supervisor/`, on the CLI's side."""
