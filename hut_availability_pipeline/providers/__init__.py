"""Booking providers: fetch a hut's availability and map it to hut-services schemas.

Providers import `domain` only (never dagster or storage), so the engine can use them anywhere.
One package per booking system (`hut_reservation/`, `huetten_holiday/`), found through `registry`.

Nothing is imported here eagerly: asking the registry which providers exist (the settings do, at
every command's start) must not load httpx and hut-services. The names below are resolved on
first use (PEP 562 module `__getattr__`).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "CircuitBreaker": ".http",
    "RetryPolicy": ".http",
    "DEFAULT_REQUEST_INTERVAL": ".hut_reservation",
    "SOURCE": ".hut_reservation",
    "HutReservationService": ".hut_reservation",
    "ProviderAnswerError": ".answers",
    "booking_link": ".hut_reservation",
    "hut_ref_for": ".hut_reservation",
    "parse_availability": ".hut_reservation",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)
