"""Booking providers: fetch a hut's availability and map it to hut-services schemas.

Providers import `domain` only (never dagster or storage), so the engine can use them anywhere.
"""

from .http import CircuitBreaker, RetryPolicy
from .hut_reservation import (
    DEFAULT_REQUEST_INTERVAL,
    SOURCE,
    HutReservationService,
    ProviderAnswerError,
    booking_link,
    hut_ref_for,
    parse_availability,
)

__all__ = [
    "DEFAULT_REQUEST_INTERVAL",
    "SOURCE",
    "CircuitBreaker",
    "HutReservationService",
    "ProviderAnswerError",
    "RetryPolicy",
    "booking_link",
    "hut_ref_for",
    "parse_availability",
]
