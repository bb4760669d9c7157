"""What every test of the Dagster definitions shares."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.config import DEFAULT_EVENT_BATCH_SIZE
from hut_availability_pipeline.supervisor.instance import EVENT_BATCH_SIZE_ENV


@pytest.fixture(autouse=True)
def _event_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs here execute in the test process: give it the DAGSTER_EVENT_BATCH_SIZE that `dev` and
    `deploy` start the Dagster processes with (the setting's default), for the length of each test."""
    monkeypatch.setenv(EVENT_BATCH_SIZE_ENV, str(DEFAULT_EVENT_BATCH_SIZE))
