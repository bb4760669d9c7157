"""The seed's single-hut model methods (`has_changed`, `record_change`, `update_availability`),
as thin forms of the batched writer: one code path writes availability."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from ..domain.bookings import HutBookingSchema, HutBookingsSchema, HutFetchResult, HutRef
from ..domain.states import AvailabilityState
from ..domain.states import has_changed as state_has_changed
from .writer import HutWriteCounts, write_batch


def current_state(conn: psycopg.Connection[Any], hut_id: int, date: dt.date) -> AvailabilityState | None:
    """The stored state of one hut-date, or None when it was never checked."""
    row = conn.execute(
        "SELECT free, total, hut_type, reservation_status, day_state FROM hut_availability"
        " WHERE hut_id = %s AND availability_date = %s",
        (hut_id, date),
    ).fetchone()
    return AvailabilityState(*row) if row else None


def has_changed(conn: psycopg.Connection[Any], hut: HutRef, booking: HutBookingSchema) -> bool:
    """True when `booking` differs from the stored state of its hut-date (or none is stored)."""
    return state_has_changed(current_state(conn, hut.hut_id, booking.date), AvailabilityState.of(booking))


def update_availability(
    conn: psycopg.Connection[Any], hut: HutRef, booking: HutBookingSchema, checked_at: dt.datetime
) -> HutWriteCounts:
    """Store one observed hut-date with change detection (the batched writer with one row)."""
    result = HutFetchResult(
        hut=hut,
        received_at=checked_at,
        bookings=HutBookingsSchema(source_id=hut.source_hut_id, start_date=booking.date, days=1, bookings=[booking]),
    )
    return write_batch(conn, [result]).counts[hut.hut_id]


def record_change(
    conn: psycopg.Connection[Any], hut: HutRef, booking: HutBookingSchema, checked_at: dt.datetime
) -> bool:
    """Record `booking` as a new history state if it is one; True when a state was appended."""
    return update_availability(conn, hut, booking, checked_at).history_inserted > 0
