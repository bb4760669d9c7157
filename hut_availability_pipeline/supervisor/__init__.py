"""Process supervision, on the CLI's side: `hut-availability dev` (`dev.py`, its options in
`dev_arguments.py`) and `deploy` (`deploy.py`) start and stop Dagster's long-lived processes
(`processes.py`) on a prepared DAGSTER_HOME (`instance.py`). Moved out of `defs/`, which holds
Dagster definitions only; the code location never imports this package."""
