"""The conformance suite of sources: whatever takes events from a department's system and
publishes them (a source connector, the HTTP gateway), on a real secured stack.

A source's tests subclass :class:`SourceConformance` and supply a ``source`` fixture: a
:class:`SourceSystem` that runs the source as a process and offers it events the way the
department's system would. The suite then proves that each offered event reaches the party's
outbox with its one event id across SIGKILLs of the source, that a bad record is refused
with its reason while the records after it go through, that the bus being away for 30 s
loses nothing, that configuration errors name the field, that a stop is graceful, and that
the standard connector metrics exist and move.

Delivery to the bus is at least once with a stable event id: an event whose publication was
in flight when the source was killed may be published again, with the same id, and every
reader of the bus keeps it once. :attr:`SourceConformance.max_copies` bounds how often.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Protocol

import pytest

from sgbus.bus.events import Event
from sgbus.connectors.testing import scrape
from sgbus.connectors.testing.process import ServiceProcess, wait_for
from sgbus.connectors.testing.watch import OutboxWatcher
from sgbus.stack.testing import StackEndpoints


class SourceSystem(Protocol):
    """A source under test, and the department system that feeds it."""

    #: The party whose outbox the source writes.
    party: str
    #: The source's process (started by the tests).
    process: ServiceProcess
    #: Where the process serves ``/metrics``.
    metrics_port: int
    #: The ``connector`` label of its metrics.
    metrics_name: str

    def events(self, n: int) -> list[Event]:
        """``n`` new valid events of ``party``."""

    def offer(self, events: Sequence[Event]) -> None:
        """Hand ``events`` to the source in order, as the department's system does, retrying
        while the source is down; return once the source has taken every one."""

    def offer_invalid(self) -> None:
        """Hand the source one record the bus must refuse."""

    def refusals(self) -> list[str]:
        """Reasons the source gave for the records it refused."""

    def broken_configurations(self) -> Iterable[tuple[ServiceProcess, str]]:
        """Processes started with a broken configuration, and the field each must name."""


class SourceConformance:
    """Abstract tests of a source; subclass it as ``Test…`` and supply ``source``."""

    wave: ClassVar[int] = 30
    outage_s: ClassVar[float] = 30.0
    memory_limit_mib: ClassVar[float] = 400.0
    deliver_within_s: ClassVar[float] = 120.0
    #: How often one event may reach the bus (a re-send after a kill carries the same id).
    max_copies: ClassVar[int] = 2

    @pytest.fixture
    def source(self, stack: StackEndpoints, tmp_path: Any) -> Iterator[SourceSystem]:
        """The source under test (not started)."""
        raise NotImplementedError("a conformance subclass supplies the `source` fixture")

    @pytest.fixture
    def outbox(self, stack: StackEndpoints, source: SourceSystem) -> Iterator[OutboxWatcher]:
        """What reaches the party's outbox from now on."""
        watcher = OutboxWatcher(stack, source.party)
        try:
            yield watcher
        finally:
            watcher.close()
            source.process.stop()

    # -- the tests --------------------------------------------------------------------------

    def test_each_event_reaches_the_bus_once_across_kills(
        self, source: SourceSystem, outbox: OutboxWatcher
    ) -> None:
        events = source.events(self.wave * 4)
        ids = _ids(events)
        source.process.start()
        feeder = _Feeder(source, events)
        for kill in range(3):
            wanted = (kill + 1) * self.wave // 2
            wait_for(lambda n=wanted: len(outbox.seen(ids)) >= n, self.deliver_within_s,
                     f"{wanted} events before kill {kill + 1}")  # fmt: skip
            source.process.kill()
            source.process.start()
        feeder.join(self.deliver_within_s)
        self._all_arrived(outbox, ids, source)
        assert source.process.starts == 4

    def test_a_bad_record_is_refused_with_its_reason_and_the_stream_goes_on(
        self, source: SourceSystem, outbox: OutboxWatcher
    ) -> None:
        before, after = source.events(3), source.events(3)
        source.process.start()
        source.offer(before)
        source.offer_invalid()
        source.offer(after)
        self._all_arrived(outbox, _ids(before + after), source)
        reasons = source.refusals()
        assert len(reasons) == 1 and reasons[0].strip(), reasons

    def test_the_bus_away_for_a_while_loses_nothing(
        self, stack: StackEndpoints, source: SourceSystem, outbox: OutboxWatcher
    ) -> None:
        if stack.local is None or stack.local.pid("kafka") is None:
            pytest.skip("needs the session's own local broker to pause")
        broker = stack.local.pid("kafka")
        assert broker is not None
        source.process.start()
        first = source.events(3)
        source.offer(first)
        events = source.events(self.wave * 3)
        os.kill(broker, signal.SIGSTOP)
        try:
            feeder = _Feeder(source, events)
            time.sleep(self.outage_s)
            assert source.process.alive(), source.process.log_text()[-3000:]
        finally:
            os.kill(broker, signal.SIGCONT)
        feeder.join(self.deliver_within_s)
        self._all_arrived(outbox, _ids(first + events), source)
        peak = source.process.peak_rss_mib()
        assert peak < self.memory_limit_mib, f"peak memory {peak:.0f} MiB"

    def test_config_error_names_the_field(self, source: SourceSystem) -> None:
        checked = 0
        for process, field in source.broken_configurations():
            process.start()
            assert process.proc is not None
            code = process.proc.wait(120)
            log = process.log_text()
            assert code == 2, (field, code, log[-2000:])
            assert field in log and "Traceback" not in log, (field, log[-2000:])
            checked += 1
        assert checked > 0

    def test_graceful_stop_finishes_or_redoes(
        self, source: SourceSystem, outbox: OutboxWatcher
    ) -> None:
        events = source.events(self.wave)
        source.process.start()
        feeder = _Feeder(source, events)
        wait_for(lambda: bool(outbox.seen(_ids(events))), self.deliver_within_s, "a first event")
        code = source.process.terminate()
        assert code == 0, source.process.log_text()[-3000:]
        source.process.start()
        feeder.join(self.deliver_within_s)
        self._all_arrived(outbox, _ids(events), source)

    def test_metrics_exist_and_move(self, source: SourceSystem, outbox: OutboxWatcher) -> None:
        source.process.start()
        port, name = source.metrics_port, source.metrics_name
        wait_for(lambda: scrape.answers(port), 60, "/metrics")
        start = scrape.scrape(port)
        series = {
            "in": ("sgbus_connector_records_in_total", {"connector": name, "party": source.party}),
            "out": (
                "sgbus_connector_records_out_total",
                {"connector": name, "party": source.party},
            ),
            "refused": (
                "sgbus_connector_errors_total",
                {"connector": name, "reason": "validation-failed"},
            ),
            "last": ("sgbus_connector_last_success_timestamp_seconds", {"connector": name}),
        }
        for metric, labels in series.values():
            assert scrape.value(start, metric, **labels) == 0, (metric, labels)
        events = source.events(5)
        source.offer(events)
        source.offer_invalid()
        self._all_arrived(outbox, _ids(events), source)
        moved = scrape.scrape(port)
        for key, least in (("in", 5), ("out", 5), ("refused", 1)):
            metric, labels = series[key]
            assert (scrape.value(moved, metric, **labels) or 0) >= least, (metric, labels)
        metric, labels = series["last"]
        assert (scrape.value(moved, metric, **labels) or 0) > time.time() - 600

    # -- helpers ----------------------------------------------------------------------------

    def _all_arrived(self, outbox: OutboxWatcher, ids: set[str], source: SourceSystem) -> None:
        def done() -> bool:
            assert source.process.alive(), source.process.log_text()[-3000:]
            return outbox.seen(ids) == ids

        wait_for(done, self.deliver_within_s, f"{len(ids)} events on the bus")
        copies = outbox.copies(ids)
        over = {i: n for i, n in copies.items() if n > self.max_copies}
        assert not over, f"events published more than {self.max_copies} times: {over}"


class _Feeder(threading.Thread):
    """Offers events in the background (the department's system keeps sending)."""

    def __init__(self, source: SourceSystem, events: Sequence[Event]) -> None:
        super().__init__(daemon=True)
        self.source, self.events = source, events
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.source.offer(self.events)
        except BaseException as exc:  # reported by join
            self.error = exc

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        assert not self.is_alive(), "the source did not take every event in time"
        if self.error is not None:
            raise self.error


def _ids(events: Sequence[Event]) -> set[str]:
    return {str(e.envelope.event_id) for e in events}
