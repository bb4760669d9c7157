"""Dagster definitions: thin wiring around the engine and storage (assets, IO manager, sensors,
schedules, checks). Nothing here writes availability except through `engine.run_update`."""
