"""Clocks the watchdog can run on: real time, a fixed instant, or simulated faster time.

The simulated clock starts at a given instant and advances ``speed`` times faster than real
time, so a demo shows a week of deadlines in seconds. Outcomes do not depend on the clock's
pace: each is stamped with its scheduled time, so a slow or fast clock only changes *when*
the watchdog notices, never what it records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the watchdog what time it is."""

    def now(self) -> datetime:
        """The current instant (timezone-aware)."""
        ...


class RealClock:
    """The system clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """Always the same instant (``--now``): the watchdog acts as of that moment."""

    at: datetime

    def now(self) -> datetime:
        """The fixed instant."""
        return self.at


@dataclass
class SimulatedClock:
    """Starts at ``start`` when created and runs ``speed`` times faster than real time."""

    start: datetime
    speed: float
    monotonic: Callable[[], float] = time.monotonic
    _t0: float = field(init=False)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"clock speed must be positive, got {self.speed}")
        self._t0 = self.monotonic()

    def now(self) -> datetime:
        """``start`` plus the real time elapsed since creation, times ``speed``."""
        return self.start + timedelta(seconds=(self.monotonic() - self._t0) * self.speed)


def make_clock(now: datetime | None, speed: float | None) -> Clock:
    """The clock the command line asks for: ``--now`` alone fixes the time, with
    ``--clock-speed`` it is where simulated time starts; neither means real time."""
    if now is not None and now.tzinfo is None:
        raise ValueError("--now needs a UTC offset, e.g. 2026-10-09T09:00:00+08:00")
    if speed is None:
        return FixedClock(now) if now is not None else RealClock()
    return SimulatedClock(now or datetime.now(UTC), speed)
