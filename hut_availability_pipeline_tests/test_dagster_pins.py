"""Pins of the Dagster behaviour the project relies on that no Dagster document promises (see
docs/architecture.md, "What the refresh relies on from Dagster beyond its documents"). Each test
fails on a Dagster upgrade that changes the behaviour, instead of the code failing quietly in
production. (The third, the order in which a step's yielded output reaches its IO manager, is
pinned by defs/test_refresh.py's test that a failed hut marks no partition materialized.)

These tests read Dagster's private modules on purpose: that is what they pin. The package itself
uses only public API (test_public_api.py)."""

from __future__ import annotations

import inspect

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
