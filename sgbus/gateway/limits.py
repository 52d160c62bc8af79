"""Per-party request rate limits: a token bucket each. Pure apart from the clock passed in."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    """``rate`` requests per second per party, bursts up to ``burst``."""

    rate: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, party: str, now: float) -> float:
        """0 when the request may go ahead; else the seconds to wait before retrying."""
        with self._lock:
            tokens, last = self._buckets.get(party, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[party] = (tokens - 1, now)
                return 0.0
            self._buckets[party] = (tokens, now)
            return (1 - tokens) / self.rate
