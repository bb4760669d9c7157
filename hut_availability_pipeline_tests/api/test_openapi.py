"""The published OpenAPI description says what the API accepts: schemathesis generates requests
from it (positive ones, that the schema allows) against the app over real HTTP on a simulator-fed
database; none may be refused (no 400 for a request the schema allows), none may fail (no 5xx),
and every answer must match its documented schema, status and content type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from hut_availability_pipeline.config import Settings
from hut_availability_pipeline.serving.app import create_app

from ..api.test_api import serving
from ..web_site import simulated_site

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extras")
from schemathesis import checks as st_checks  # noqa: E402
from schemathesis.specs.openapi import checks as openapi_checks  # noqa: E402

CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.positive_data_acceptance,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def served_schema(embedded_factory) -> Iterator[object]:
    site = simulated_site(embedded_factory.create(), huts=6)
    with serving(site.db, create_app(site.db, Settings(timezone="Europe/Zurich"), clock=site.clock)) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def operations(schema) -> list[object]:
    return [result.ok() for result in schema.get_all_operations()]


def test_the_fuzzer_sees_every_endpoint(served_schema):
    assert {op.path for op in operations(served_schema)} == {
        "/v1/availability/{date}.geojson", "/v1/availability", "/v1/huts/{slug}/availability/{date}",
        "/v1/huts/{slug}/availability/{date}/trend", "/v1/huts/{slug}/trends/{date}",
        "/v1/huts/{slug}/forecast", "/v1/huts/{slug}/forecast/{date}", "/v1/tours",
    }  # fmt: skip


@pytest.mark.parametrize("index", range(8))
def test_requests_the_schema_allows_are_answered(served_schema, index):
    operation = operations(served_schema)[index]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answered(case) -> None:
        case.call_and_validate(checks=CHECKS)

    answered()
