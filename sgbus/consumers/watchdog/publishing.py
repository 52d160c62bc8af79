"""The watchdog's outbox relay on a thread of its own, so that publishing never holds a step
(or SIGTERM) longer than a deadline.

One drain at a time: a drain still running when a step gave up waiting is waited for by the
next step, never started a second time beside it (the relay is not made for two threads, and
its rows must not go out twice). Closing runs on the same thread, after any drain.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import structlog

from sgbus.producers.relay import OutboxRelay, RelayError
from sgbus.runtime.faults import TransientError

log = structlog.get_logger("sgbus.consumers.watchdog.publishing")

_TICK_S = 0.25


class Publisher:
    """Drains ``relay`` on its own thread; waits for it up to a deadline or the stop signal."""

    def __init__(self, relay: OutboxRelay, stop: threading.Event, deadline_s: float) -> None:
        self.relay = relay
        self.stop = stop
        self.deadline_s = deadline_s
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="watchdog-relay")
        self._draining: Future[int] | None = None

    def drain(self, deadline_s: float | None = None, *, stop_aware: bool = True) -> int:
        """Rows marked sent by this drain (0 when the stop signal cut the wait short).

        Raises :class:`TransientError` (source ``relay``) when the broker did not confirm every
        row, or the drain is still running at the deadline.
        """
        if self._draining is None:
            self._draining = self._pool.submit(self.relay.drain)
        future = self._draining
        limit = self.deadline_s if deadline_s is None else deadline_s
        waited = 0.0
        while True:
            try:
                sent = future.result(timeout=_TICK_S)
            except FutureTimeout:
                waited += _TICK_S
                if stop_aware and self.stop.is_set():
                    return 0
                if waited >= limit:
                    raise TransientError(
                        "relay", f"outbox relay still sending after {limit:.0f}s"
                    ) from None
                continue
            except RelayError as exc:
                self._draining = None
                raise TransientError("relay", "the broker did not confirm every row") from exc
            except Exception:
                self._draining = None
                raise
            self._draining = None
            return sent

    def close(self, timeout_s: float = 20.0) -> None:
        """Close the relay (outstanding reports settled, unsent rows given back)."""
        closing = self._pool.submit(self.relay.close)
        try:
            closing.result(timeout=timeout_s)
        except FutureTimeout:
            log.warning("outbox relay did not close in time")
        except Exception as exc:
            log.warning("outbox relay close failed", error=type(exc).__name__)
        self._pool.shutdown(wait=False, cancel_futures=True)
