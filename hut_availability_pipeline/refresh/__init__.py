"""The refresh use case: fetch the bookings of a set of huts from their booking sites and store
their current state and history. One entry point, `parallel.refresh_huts`, for the CLI,
the Dagster jobs and asset, and the chaos runs:

    refresh_huts(db, huts, service_for, start=..., days=..., batch_size=...)
      └─ per booking source, in its own thread: engine.store_fetched
           ├─ fetch (lazy, paced, provider's circuit breaker)      providers/
           └─ writer thread: storage.writer.write_batch per batch  storage/ (one transaction each)

`notes.py` turns the engine's callbacks into what a run reports (rows per hut, the fullest dates).
Nothing here imports dagster. (This file imports nothing, so that the CLI's light commands that
need a type of `engine` do not load the providers, and the settings can take the default below.)
"""

DEFAULT_BATCH_SIZE = 20
"""Huts per transaction of the writer when the caller does not say: the engine's, the IO manager's
and the default of HUT_AVAILABILITY_BATCH_SIZE. A run killed mid-way loses at most one batch."""
