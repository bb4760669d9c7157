"""Builders of bookings and fetch results for tests (real hut-services schemas, no mocks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from hut_availability_pipeline.domain.bookings import (
    DayState,
    HutBookingSchema,
    HutBookingsSchema,
    HutFetchResult,
    HutRef,
    HutTypeEnum,
    PlacesSchema,
    ReservationStatusEnum,
)
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts

START = dt.date(2026, 7, 1)
T0 = dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.UTC)


def add_huts(db: Database, n: int = 2) -> list[HutRef]:
    with db.connect() as conn:
        return add_huts_on(conn, n)


def add_huts_on(conn: psycopg.Connection[Any], n: int = 2) -> list[HutRef]:
    """`n` bookable huts (hut-0, hut-1, ...) added through an open connection."""
    load_huts(conn, [HutRecord("hrs", str(100 + i), f"hut-{i}", f"Hut {i}") for i in range(n)])
    return bookable_huts(conn)


def booking(
    day: dt.date,
    free: int | None,
    total: int | None = 40,
    hut_type: HutTypeEnum = HutTypeEnum.hut,
    status: ReservationStatusEnum | None = None,
    state: DayState | None = None,
) -> HutBookingSchema:
    """A booking of one day; the day state, unless given, is what these places and status mean
    (free places: bookable; 0: full; unknown count: unknown; not online: winter room)."""
    if status is None:
        status = ReservationStatusEnum.possible if (free or 0) > 0 else ReservationStatusEnum.not_possible
    if state is None:
        state = _state_of(free, hut_type, status)
    return HutBookingSchema(
        date=day,
        reservation_status=status,
        unattended=hut_type != HutTypeEnum.hut,
        places=PlacesSchema(free=free, total=total),
        link="https://www.hut-reservation.org/reservation/book-hut/1/wizard",
        hut_type=hut_type,
        day_state=state,
    )


def _state_of(free: int | None, hut_type: HutTypeEnum, status: ReservationStatusEnum) -> DayState:
    if hut_type == HutTypeEnum.closed:
        return DayState.closed
    if status == ReservationStatusEnum.not_online:
        return DayState.winter_room
    if free is None or status == ReservationStatusEnum.unknown:
        return DayState.unknown
    return DayState.bookable if free > 0 else DayState.full


def result(hut: HutRef, at: dt.datetime, frees: list[Any], start: dt.date = START, **kw: Any) -> HutFetchResult:
    """A successful fetch of `hut` at `at`: day i has frees[i] free places (None: unknown)."""
    bookings = [booking(start + dt.timedelta(days=i), f, **kw) for i, f in enumerate(frees)]
    return HutFetchResult(
        hut=hut,
        received_at=at,
        bookings=HutBookingsSchema(source_id=hut.source_hut_id, start_date=start, days=len(frees), bookings=bookings),
    )


def failure(hut: HutRef, at: dt.datetime, error: str = "HTTP 500") -> HutFetchResult:
    return HutFetchResult(hut=hut, received_at=at, error=error)


def history(db: Database, hut_id: int, day: dt.date) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return conn.execute(
            "SELECT free, total, hut_type, reservation_status, first_checked, last_checked"
            " FROM hut_availability_history WHERE hut_id = %s AND availability_date = %s ORDER BY first_checked",
            (hut_id, day),
        ).fetchall()


def count(db: Database, table: str) -> int:
    with db.connect() as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 (test-only, fixed names)
        assert row is not None
        return int(row[0])
