"""The read side's rows (storage.read_models) as the API's response models."""

from __future__ import annotations

from typing import Any

from ..domain.bookings import DayState, HutTypeEnum, ReservationStatusEnum
from ..storage.read_models import DayAvailability, HutInfo, HutState
from ..storage.trends import NightTrend
from . import models


def hut_fields(hut: HutInfo) -> dict[str, Any]:
    return {
        "id": hut.hut_id,
        "slug": hut.slug,
        "name": hut.name,
        "country": hut.country,
        "elevation": hut.elevation,
        "capacity": hut.capacity,
        "source": hut.source,
        "source_hut_id": hut.source_hut_id,
    }


def hut(info: HutInfo) -> models.Hut:
    return models.Hut(**hut_fields(info))


def hut_with_location(info: HutInfo) -> models.HutWithLocation:
    return models.HutWithLocation(**hut_fields(info), lat=info.lat, lon=info.lon)


def day_fields(d: DayAvailability) -> dict[str, Any]:
    return {
        "date": d.availability_date,
        "free": d.free,
        "total": d.total,
        "occupancy_percent": d.occupancy_percent,
        "occupancy_steps": d.occupancy_steps,
        "occupancy_status": d.occupancy_status,
        "reservation_status": d.reservation_status,
        "hut_type": d.hut_type,
        "day_state": d.day_state,
        "last_checked": d.last_checked,
    }


def day_detail(d: DayAvailability) -> models.DayDetail:
    return models.DayDetail(**day_fields(d), link=d.link, first_checked=d.first_checked)


def trend_state(s: HutState) -> models.TrendState:
    return models.TrendState(
        free=s.free,
        total=s.total,
        occupancy_percent=s.occupancy_percent,
        hut_type=HutTypeEnum(s.hut_type),
        reservation_status=ReservationStatusEnum(s.reservation_status),
        day_state=DayState(s.day_state),
        first_checked=s.first_checked,
        last_checked=s.last_checked,
        duration_seconds=s.duration_seconds,
        superseded_at=s.superseded_at,
        is_current=s.is_current,
    )


def night_trend(n: NightTrend) -> models.NightTrend:
    return models.NightTrend(
        date=n.availability_date,
        computed_at=n.computed_at,
        day_state=None if n.day_state is None else DayState(n.day_state),
        free=n.free,
        total=n.total,
        occupancy_percent=n.occupancy_percent,
        is_full=n.is_full,
        became_full_at=n.became_full_at,
        days_before_full=n.days_before_full,
        booked_per_day=list(n.booked_per_day),
        booked_last_week=n.booked_last_week,
        changes_last_week=n.changes_last_week,
        free_week_ago=n.free_week_ago,
        occupancy_week_ago=n.occupancy_week_ago,
    )
