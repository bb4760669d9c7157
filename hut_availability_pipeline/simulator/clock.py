"""The simulated clock: real time by default, optionally faster, from a chosen start, jumpable."""

from __future__ import annotations

import datetime as dt
import threading
import time


def as_utc(value: dt.datetime) -> dt.datetime:
    """`value` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class SimClock:
    """sim time = start + elapsed real time × speed + manual advances; speed 0 freezes it."""

    def __init__(self, start: dt.datetime | None = None, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError(f"speed must not be negative, got {speed}")
        self._lock = threading.Lock()
        self._sim0 = (as_utc(start) if start else dt.datetime.now(dt.UTC)).timestamp()
        self._real0 = time.monotonic()
        self._speed = speed
        self._advanced = 0.0

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    @property
    def advanced_seconds(self) -> float:
        """Total seconds added by `advance`."""
        return self._advanced

    def timestamp(self) -> float:
        """The simulated time as a Unix timestamp (seconds)."""
        with self._lock:
            return self._sim0 + (time.monotonic() - self._real0) * self._speed + self._advanced

    def now(self) -> dt.datetime:
        """The simulated time as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.timestamp(), dt.UTC)

    def advance(self, seconds: float) -> dt.datetime:
        """Jump forward by `seconds` (never backwards: bookings only accumulate); returns the new time."""
        if seconds < 0:
            raise ValueError(f"cannot move the clock backwards ({seconds} s)")
        with self._lock:
            self._advanced += seconds
        return self.now()

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, without a jump in simulated time."""
        if speed < 0:
            raise ValueError(f"speed must not be negative, got {speed}")
        with self._lock:
            now = time.monotonic()
            self._sim0 += (now - self._real0) * self._speed
            self._real0 = now
            self._speed = speed
