"""librdkafka's own log, through the service's JSON logging and rate-limited.

Left alone, librdkafka writes raw ``%3|…|FAIL|…`` lines to stderr, about 25 a second per
client while a broker is away. Passing :data:`KAFKA_LOGGER` as the client's ``logger`` sends
them to stdlib logging, which :func:`sgbus.runtime.logging.configure_logging` renders as JSON;
:class:`RateLimit` lets one line per facility through per interval and says how many it held
back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any


class RateLimit(logging.Filter):
    """Passes the first record of each (level, facility) per ``interval_s``; counts the rest."""

    def __init__(self, interval_s: float = 30.0) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last: dict[tuple[int, str], float] = {}
        self._held: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` is logged; a passed record carries the number held back."""
        args = record.args if isinstance(record.args, tuple) else ()
        facility = str(args[0]) if args else record.getMessage()[:40]
        key = (record.levelno, facility)
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval_s:
                self._held[key] = self._held.get(key, 0) + 1
                return False
            self._last[key] = now
            held = self._held.pop(key, 0)
        # The JSON setup (sgbus.runtime.logging) turns this into a ``held_back`` field.
        record.held_back = held
        return True


KAFKA_LOGGER = logging.getLogger("sgbus.kafka.librdkafka")
KAFKA_LOGGER.addFilter(RateLimit())


def client_logging() -> dict[str, Any]:
    """librdkafka settings that route its log through :data:`KAFKA_LOGGER`."""
    return {"logger": KAFKA_LOGGER}
