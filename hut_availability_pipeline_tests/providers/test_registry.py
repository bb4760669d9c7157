"""The provider registry: booking-source slugs to providers, services made on demand."""

from __future__ import annotations

import pytest

from hut_availability_pipeline.providers.hut_reservation import HutReservationService
from hut_availability_pipeline.providers.registry import PROVIDERS, UnknownSourceError, provider_for


def test_every_provider_is_keyed_by_its_own_source_slug() -> None:
    assert PROVIDERS, "no provider registered"
    for slug, provider in PROVIDERS.items():
        assert provider.source == slug


def test_the_hrs_provider_makes_a_hut_reservation_service_with_the_given_site_and_pace() -> None:
    with provider_for("hrs").create_service("http://127.0.0.1:9/", 0.25) as service:
        assert isinstance(service, HutReservationService)
        assert service.base_url == "http://127.0.0.1:9"
        assert service.request_interval == 0.25


def test_an_unknown_source_names_the_known_ones() -> None:
    with pytest.raises(UnknownSourceError, match=r"no booking provider for source 'nope' \(known: .*hrs"):
        provider_for("nope")


def test_the_registered_slugs_are_the_booking_sources_of_the_database(db) -> None:
    with db.connect() as conn:
        stored = {row[0] for row in conn.execute("SELECT slug FROM organizations")}
    assert set(PROVIDERS) <= stored


def test_the_huetten_holiday_provider_makes_its_service() -> None:
    from hut_availability_pipeline.providers.huetten_holiday import HuettenHolidayService

    with provider_for("huetten-holiday").create_service("http://127.0.0.1:9", 0.5) as service:
        assert isinstance(service, HuettenHolidayService)
        assert (service.base_url, service.request_interval) == ("http://127.0.0.1:9", 0.5)


def test_asking_the_registry_and_the_settings_loads_no_http_stack() -> None:
    """The registry is read at every command's start (the settings take its defaults): it must not
    import httpx or hut-services (seconds of start-up); a provider's package loads when used."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hut_availability_pipeline.config import load_settings\n"
        "from hut_availability_pipeline.providers.registry import PROVIDERS\n"
        "assert PROVIDERS and load_settings()\n"
        "print(sorted(m for m in ('httpx', 'hut_services') if m in sys.modules))\n"
        "from hut_availability_pipeline.providers import HutReservationService\n"
        "print(sorted(m for m in ('httpx', 'hut_services') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.splitlines() == ["[]", "['httpx', 'hut_services']"]
