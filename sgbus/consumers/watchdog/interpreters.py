"""Where audit records are interpreted: in the service's own thread, or in a worker process.

The worker process decodes and applies the policy to batch *n+1* while the service writes
batch *n* to the database, so the two halves of the per-record cost use two cores instead of
one. Threads would not do: both halves are Python and hold the interpreter lock.

The worker is a single spawned process (never forked: librdkafka's threads do not survive a
fork). It ignores Ctrl-C and SIGTERM (the service stops it), and exits by itself when the
service dies, even by SIGKILL, so a crashed watchdog leaves no process behind. If the worker
dies, the batch is interpreted in the service's thread and a new worker is started for the next
one. A transient failure in the worker (the registry unreachable while it decodes) comes back
as a :class:`~sgbus.runtime.faults.TransientError` from :meth:`Interpreter.result`: the batch
is retried, never turned into per-record decode errors.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

import structlog

from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.obligations.regional import AnyIngestor
from sgbus.bus.serde import Serde, build_serde
from sgbus.consumers.watchdog.audit import RawRecord
from sgbus.consumers.watchdog.interpret import Interpreted, interpret
from sgbus.runtime.faults import TransientError, classify

log = structlog.get_logger("sgbus.consumers.watchdog.interpreters")


class Interpreter(Protocol):
    """Interprets batches of audit records, possibly while the caller does other work."""

    def submit(self, records: Sequence[RawRecord]) -> Future[list[Interpreted]]:
        """Start interpreting ``records``; the future's result is in the same order."""
        ...

    def result(
        self, future: Future[list[Interpreted]], records: Sequence[RawRecord]
    ) -> list[Interpreted]:
        """The result of ``future`` (submitted with ``records``), whatever happened to it."""
        ...

    def use_calendar(self, calendar: WorkingCalendar) -> None:
        """Count deadlines on ``calendar`` from the next submitted batch on."""
        ...

    def close(self) -> None:
        """Release the worker, if any."""
        ...


class InlineInterpreter:
    """Interprets in the caller's thread, at submit time."""

    def __init__(self, serde: Serde, ingestor: AnyIngestor) -> None:
        self.serde = serde
        self.ingestor = ingestor

    def submit(self, records: Sequence[RawRecord]) -> Future[list[Interpreted]]:
        """Interpret ``records`` now; the returned future is already done."""
        future: Future[list[Interpreted]] = Future()
        try:
            future.set_result(interpret(records, self.serde, self.ingestor))
        except Exception as exc:  # handed to whoever asks for the result, like a worker would
            future.set_exception(exc)
        return future

    def result(
        self, future: Future[list[Interpreted]], records: Sequence[RawRecord]
    ) -> list[Interpreted]:
        """The (already computed) result."""
        return future.result()

    def use_calendar(self, calendar: WorkingCalendar) -> None:
        """Count on ``calendar`` from now on."""
        self.ingestor = self.ingestor.with_calendar(calendar)

    def close(self) -> None:
        """Nothing to release."""


class WorkerInterpreter:
    """Interprets in one worker process; falls back to the caller's thread if it dies."""

    def __init__(
        self, registry: dict[str, Any] | None, serde: Serde, ingestor: AnyIngestor
    ) -> None:
        # The worker builds its own registry client from this (URL and credentials).
        self._registry = registry
        self._inline = InlineInterpreter(serde, ingestor)
        self._pool: ProcessPoolExecutor | None = None

    def _worker_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
                initargs=(self._registry, self._inline.ingestor, os.getpid()),
            )
        return self._pool

    def submit(self, records: Sequence[RawRecord]) -> Future[list[Interpreted]]:
        """Send ``records`` to the worker."""
        try:
            return self._worker_pool().submit(_worker_interpret, list(records))
        except BrokenProcessPool:
            self._restart("the worker process had stopped")
            return self._inline.submit(records)

    def result(
        self, future: Future[list[Interpreted]], records: Sequence[RawRecord]
    ) -> list[Interpreted]:
        """The worker's result, or the batch interpreted here if the worker died on it."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._restart("the worker process died")
            return self._inline.result(self._inline.submit(records), records)

    def use_calendar(self, calendar: WorkingCalendar) -> None:
        """Start a new worker with ``calendar`` (results already submitted keep the old one)."""
        self._inline.use_calendar(calendar)
        self._shutdown()

    def close(self) -> None:
        """Stop the worker."""
        self._shutdown()

    def _restart(self, why: str) -> None:
        log.error("audit interpreter lost; interpreting here, a new one starts", why=why)
        self._shutdown()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
            self._pool = None


# -- in the worker process ----------------------------------------------------------------

_worker: InlineInterpreter | None = None


def _worker_start(registry: dict[str, Any] | None, ingestor: AnyIngestor, parent: int) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the service ends it when it stops
    _worker = InlineInterpreter(build_serde(registry), ingestor)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # Reparented (to init or a subreaper) means the service is gone, SIGKILL included.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _worker_interpret(records: list[RawRecord]) -> list[Interpreted]:
    assert _worker is not None, "worker used before its initializer ran"
    try:
        return interpret(records, _worker.serde, _worker.ingestor)
    except TransientError:
        raise  # pickles as itself
    except Exception as exc:
        fault = classify(exc)
        if fault is None:
            raise
        # The library's exception may not survive pickling; its meaning must.
        raise TransientError(fault.source, fault.reason) from None
