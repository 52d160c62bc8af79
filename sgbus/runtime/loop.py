"""The service loop every consumer runs: step until stopped, waiting out transient faults.

A service supplies one ``step`` (read a batch, apply it, relay) that leaves no half-written
state when it raises: its database transaction rolls back, its Kafka transaction aborts.
The loop classifies what the step raised:

* a transient fault → the ``on_fault`` hook (typically: rewind the consumer to the first
  record not applied), then a backoff wait, then the step again — the same records, never
  skipped, never dead-lettered;
* anything else → propagates and ends the service (a bug or a fatal configuration error).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sgbus.runtime.backoff import Backoff
from sgbus.runtime.faults import Fault, classify
from sgbus.runtime.health import Health

T = TypeVar("T")


class ServiceLoop:
    """Runs a service's step with the runtime's error policy, health and stop signal."""

    def __init__(
        self,
        service: str,
        stop: threading.Event,
        *,
        health: Health | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.service = service
        self.stop = stop
        self.health = health or Health(service)
        self.backoff = backoff or Backoff(maximum_s=10.0)

    def run(
        self,
        step: Callable[[], object],
        on_fault: Callable[[Fault], None] | None = None,
    ) -> None:
        """Call ``step`` until the stop signal is set."""
        while not self.stop.is_set():
            self.attempt(step, on_fault)

    def attempt(
        self, step: Callable[[], T], on_fault: Callable[[Fault], None] | None = None
    ) -> T | None:
        """Call ``step`` once; on a transient fault report it, call ``on_fault``, wait out the
        backoff and return None. Other exceptions propagate."""
        try:
            result = step()
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            self.health.failed(fault)
            if on_fault is not None:
                on_fault(fault)
            self.backoff.wait(self.stop)
            return None
        self.backoff.reset()
        self.health.ok()
        return result

    def until_done(self, call: Callable[[], T]) -> T | None:
        """Retry ``call`` through transient faults until it succeeds; None if stopped first.

        For start-up work that must happen before the first step (subscribing, initialising
        transactions, fetching a schema id).
        """
        done: list[T] = []

        def once() -> None:
            done.append(call())

        while not self.stop.is_set() and not done:
            self.attempt(once)
        return done[0] if done else None
