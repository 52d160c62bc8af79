"""Bounded exponential backoff with jitter, interruptible by the service's stop signal."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Waits 0.5 s, 1 s, 2 s … up to ``maximum_s`` between retries; :meth:`reset` on success.

    Jitter (±20 %) keeps several instances of a service from retrying in lockstep after a
    shared outage.
    """

    initial_s: float = 0.5
    maximum_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    attempts: int = field(default=0, init=False)

    def next_delay(self) -> float:
        """The delay before the next retry, advancing the sequence."""
        base = min(self.maximum_s, self.initial_s * self.factor**self.attempts)
        self.attempts += 1
        return base * (1 + random.uniform(-self.jitter, self.jitter))

    def wait(self, stop: threading.Event) -> bool:
        """Sleep for the next delay; return True at once when ``stop`` is set meanwhile."""
        return stop.wait(self.next_delay())

    def reset(self) -> None:
        """Start again from the initial delay (call after a success)."""
        self.attempts = 0
