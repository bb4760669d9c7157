"""Pins of the Dagster behaviour the project relies on that no Dagster document promises (see
docs/architecture.md, "What the refresh relies on from Dagster beyond its documents"). Each test
fails on a Dagster upgrade that changes the behaviour, instead of the code failing quietly in
production. (The third, the order in which a step's yielded output reaches its IO manager, is
pinned by defs/test_refresh.py's test that a failed hut marks no partition materialized.)

These tests read Dagster's private modules on purpose: that is what they pin. The package itself
uses only public API (test_public_api.py)."""

from __future__ import annotations

import inspect
from pathlib import Path

import dagster as dg

from hut_availability_pipeline.defs.refresh.liveness import GRPC_INFO_TAG


def test_dagster_still_records_a_runs_code_server_in_the_hidden_grpc_info_tag() -> None:
    """defs/refresh/liveness.py reads where a run's code server listens from this tag (to fail
    runs whose code server died with their worker); the default run launcher writes it as JSON
    with the host and the port."""
    from dagster._core.launcher.default_run_launcher import DefaultRunLauncher
    from dagster._core.storage import tags

    assert tags.GRPC_INFO_TAG == GRPC_INFO_TAG
    source = inspect.getsource(DefaultRunLauncher)
    assert "GRPC_INFO_TAG" in source and '"host"' in source and '"port"' in source


def test_dagster_instance_still_offers_optimize_for_webserver_with_the_arguments_we_pass() -> None:
    """defs/refresh/hut_refresh.py (tune_event_storage) pools a run worker's event-storage
    connections as the webserver does, with these keyword arguments."""
    parameters = inspect.signature(dg.DagsterInstance.optimize_for_webserver).parameters
    assert {"statement_timeout", "pool_recycle", "max_overflow"} <= set(parameters)


def test_local_temp_with_a_directory_is_that_directorys_persistent_instance_with_sections_replaced(
    tmp_path: Path,
) -> None:
    """supervisor/instance.py (project_instance) builds the project's instance with the public
    `DagsterInstance.local_temp(tempdir, overrides)`: the dagster.yaml of `tempdir` with the given
    top-level sections replaced, persistent, the directory kept; as `DagsterInstance.get()` loads
    DAGSTER_HOME, without reading the storage URL from the process's environment."""
    from dagster._core.run_coordinator import QueuedRunCoordinator

    (tmp_path / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: QueuedRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path), overrides={"telemetry": {"enabled": True}})
    try:
        assert instance.is_persistent and instance.root_directory == str(tmp_path)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)  # from the directory's file
        assert instance.telemetry_enabled  # the override
    finally:
        instance.dispose()
    del instance
    assert (tmp_path / "dagster.yaml").exists()
