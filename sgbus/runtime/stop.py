"""One way to stop a service: SIGTERM or SIGINT sets an event every loop and wait checks."""

from __future__ import annotations

import signal
import threading
from types import FrameType


class StopSignal(threading.Event):
    """A :class:`threading.Event` that SIGTERM and SIGINT set (after :meth:`install`).

    Every blocking wait of the runtime (backoff, polls, guarded Kafka calls) waits on it, so a
    signal ends the service within about a second whatever it was doing.
    """

    def install(self) -> StopSignal:
        """Route SIGTERM and SIGINT to this event (main thread only); return self."""

        def handler(_sig: int, _frame: FrameType | None) -> None:
            self.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        return self
