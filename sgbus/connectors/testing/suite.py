"""The conformance suite every sink connector passes, on a real secured stack.

A connector's tests subclass :class:`SinkConformance`, name the connector, and supply its
target and a configuration; every test here then runs against them::

    class TestMySink(SinkConformance):
        connector = "my-sink"

        @pytest.fixture
        def target(self) -> Iterator[SinkTarget]:
            ...  # start the target system; yield an object with the SinkTarget methods

        def config(self, target, party, workdir):
            return {"party": party, "url": target.url, ...}

The tests need the ``stack`` fixture: the project's own test session provides it; a connector
package adds ``pytest_plugins = ["sgbus.connectors.testing.plugin"]`` to its ``conftest.py``.
The connector runs as its own process (``python -m sgbus connector run``), so it must be
installed where the tests run (an entry point in the ``sgbus.connectors`` group).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pytest

from sgbus.connectors.testing import scrape
from sgbus.connectors.testing.bus import ConformanceBus
from sgbus.connectors.testing.process import ConnectorProcess, quick_settings, wait_for
from sgbus.stack.testing import StackEndpoints, free_ports


class SinkTarget(Protocol):
    """What the suite needs from a sink's target system under test."""

    def stored_ids(self) -> set[str]:
        """Event ids the target holds."""

    def copies(self) -> int:
        """How many items the target holds, duplicates included."""

    def down(self) -> AbstractContextManager[None]:
        """The target unreachable for the duration of the block."""

    def refuse(self, event_id: str) -> None:
        """Make the target refuse ``event_id`` for good (a permanent error)."""

    def accept_again(self) -> None:
        """Stop refusing (the cause was fixed)."""


class SinkConformance:
    """Abstract tests of a sink connector; subclass it as ``Test…`` to run them."""

    #: The connector's name, as ``sgbus connector list`` shows it.
    connector: ClassVar[str]
    #: Items per wave; a test feeds a few waves.
    wave: ClassVar[int] = 40
    #: How long the target stays down in the outage test.
    outage_s: ClassVar[float] = 30.0
    #: Peak resident memory the connector process may reach.
    memory_limit_mib: ClassVar[float] = 400.0
    #: How long the connector may take to deliver what was fed.
    deliver_within_s: ClassVar[float] = 120.0

    # -- what a connector's tests supply ----------------------------------------------------

    @pytest.fixture
    def target(self) -> Iterator[SinkTarget]:
        """The target system, running for the test."""
        raise NotImplementedError("a conformance subclass supplies the `target` fixture")

    def config(self, target: Any, party: str, workdir: Path) -> dict[str, Any]:
        """A valid configuration delivering ``party``'s inbox to ``target``."""
        raise NotImplementedError("a conformance subclass supplies `config`")

    def invalid_configs(
        self, target: Any, party: str, workdir: Path
    ) -> Iterable[tuple[dict[str, Any], str]]:
        """Broken configurations and the field each error must name (add the connector's own)."""
        good = self.config(target, party, workdir)
        yield {**good, "batch_size": 0}, "batch_size"
        yield {**good, "party": "Not A Party"}, "party"
        yield {**good, "no_such_setting": 1}, "no_such_setting"

    # -- fixtures ---------------------------------------------------------------------------

    @pytest.fixture
    def bus(self, stack: StackEndpoints) -> ConformanceBus:
        """A fresh party with an empty inbox."""
        return ConformanceBus.fresh(stack, f"conf-{self.connector}")

    @pytest.fixture
    def process(
        self, bus: ConformanceBus, target: SinkTarget, tmp_path: Path
    ) -> Iterator[ConnectorProcess]:
        """The connector as a process (not started), with fast retries and its own port."""
        (port,) = free_ports(1)
        config = {**self.config(target, bus.party, tmp_path), **quick_settings(tmp_path, port)}
        proc = ConnectorProcess(self.connector, config, tmp_path, bus.environment())
        try:
            yield proc
        finally:
            proc.stop()

    # -- the tests --------------------------------------------------------------------------

    def test_delivers_each_event_once_across_kills(
        self, bus: ConformanceBus, target: SinkTarget, process: ConnectorProcess
    ) -> None:
        expected = set(bus.feed(self.wave))
        process.start()
        for kill in range(3):
            wave = bus.feed(self.wave)
            expected |= set(wave)
            wait_for(lambda w=wave: bool(target.stored_ids() & set(w)), self.deliver_within_s,
                     f"delivery before kill {kill + 1}")  # fmt: skip
            process.kill()
            process.start()
        self._all_delivered(target, expected, process)
        assert process.starts == 4

    def test_bad_record_is_dead_lettered_and_the_stream_goes_on(
        self, bus: ConformanceBus, target: SinkTarget, process: ConnectorProcess
    ) -> None:
        before = set(bus.feed(5))
        bus.feed_garbage()
        refused, *after = bus.feed(6)
        target.refuse(refused)
        process.start()
        self._all_delivered(target, before | set(after), process)
        assert refused not in target.stored_ids()
        wait_for(lambda: len(bus.dead_letters(self.connector)) >= 2, 60, "two dead letters")
        dead = {d.reason_code.value: d for d in bus.dead_letters(self.connector)}
        assert set(dead) == {"UNDECODABLE", "OTHER"}, dead
        assert dead["OTHER"].envelope.causation_id is not None
        assert str(dead["OTHER"].envelope.causation_id) == refused
        assert all(d.reason and d.original_value is None for d in dead.values())
        assert process.terminate() == 0
        target.accept_again()
        replay = process.run_verb("replay")
        assert replay.returncode == 0, replay.stderr
        assert "1 replayed" in replay.stdout, replay.stdout
        assert refused in target.stored_ids()

    def test_target_down_loses_nothing(
        self, bus: ConformanceBus, target: SinkTarget, process: ConnectorProcess
    ) -> None:
        expected = set(bus.feed(5))
        process.start()
        self._all_delivered(target, expected, process)
        with target.down():
            expected |= set(bus.feed(self.wave * 5))
            time.sleep(self.outage_s)
            assert process.alive(), process.log_text()[-2000:]
        self._all_delivered(target, expected, process)
        samples = scrape.scrape(self._port(process))
        # transient-target for most targets; transient-database for a database target, which
        # the runtime cannot tell from the connector's own state store
        faults = sum(
            value
            for (name, labels), value in samples.items()
            if name == "sgbus_connector_errors_total"
            and dict(labels).get("connector") == self.connector
            and dict(labels).get("reason", "").startswith("transient-")
        )
        assert faults >= 1, "the outage was not counted as a transient fault"
        peak = process.peak_rss_mib()
        assert peak < self.memory_limit_mib, f"peak memory {peak:.0f} MiB"

    def test_config_error_names_the_field(
        self, bus: ConformanceBus, target: SinkTarget, process: ConnectorProcess, tmp_path: Path
    ) -> None:
        for i, (config, field) in enumerate(self.invalid_configs(target, bus.party, tmp_path)):
            broken = ConnectorProcess(
                self.connector, config, _subdir(tmp_path, f"bad{i}"), bus.environment()
            )
            result = broken.run_verb("check")
            assert result.returncode == 2, (field, result.stdout, result.stderr)
            assert field in result.stderr, (field, result.stderr)
            assert "Traceback" not in result.stderr
            for secret in _secrets(config):
                assert secret not in result.stderr + result.stdout

    def test_graceful_stop_finishes_or_redoes(
        self, bus: ConformanceBus, target: SinkTarget, process: ConnectorProcess
    ) -> None:
        expected = set(bus.feed(self.wave * 3))
        process.start()
        wait_for(lambda: bool(target.stored_ids()), self.deliver_within_s, "a first delivery")
        assert process.terminate() == 0, process.log_text()[-2000:]
        assert "connector stopped" in process.log_text()
        process.start()
        self._all_delivered(target, expected, process)

    def test_metrics_exist_and_move(
        self, bus: ConformanceBus, target: SinkTarget, process: ConnectorProcess
    ) -> None:
        process.start()
        port = self._port(process)
        wait_for(lambda: scrape.answers(port), 60, "/metrics")
        series = self._series(process)
        at_start = scrape.scrape(port)
        for name, labels in series.values():
            assert scrape.value(at_start, name, **labels) == 0, (name, labels)
        expected = set(bus.feed(10))
        self._all_delivered(target, expected, process)
        moved = scrape.scrape(port)
        for key in ("in", "out"):
            name, labels = series[key]
            assert (scrape.value(moved, name, **labels) or 0) >= len(expected), name
        name, labels = series["last_success"]
        assert (scrape.value(moved, name, **labels) or 0) > time.time() - 600

    # -- helpers ----------------------------------------------------------------------------

    def _all_delivered(
        self, target: SinkTarget, expected: set[str], process: ConnectorProcess
    ) -> None:
        def done() -> bool:
            assert process.alive(), f"connector exited:\n{process.log_text()[-3000:]}"
            return expected <= target.stored_ids()

        wait_for(done, self.deliver_within_s, f"{len(expected)} deliveries")
        assert target.stored_ids() == expected, "the target holds items that were not fed"
        assert target.copies() == len(expected), "the target holds an item twice"

    def _port(self, process: ConnectorProcess) -> int:
        return int(process.config["metrics_port"])

    def _series(self, process: ConnectorProcess) -> dict[str, tuple[str, dict[str, str]]]:
        party = str(process.config["party"])
        name = str(process.config.get("name") or self.connector)
        return {
            "in": ("sgbus_connector_records_in_total", {"connector": name, "party": party}),
            "out": ("sgbus_connector_records_out_total", {"connector": name, "party": party}),
            "errors": (
                "sgbus_connector_errors_total",
                {"connector": name, "reason": "undecodable"},
            ),
            "last_success": ("sgbus_connector_last_success_timestamp_seconds", {"connector": name}),
            "lag": ("sgbus_connector_lag_records", {"connector": name}),
        }


def _subdir(base: Path, name: str) -> Path:
    path = base / name
    path.mkdir(exist_ok=True)
    return path


def _secrets(config: dict[str, Any]) -> list[str]:
    """Values of keys that look secret, to make sure no error message echoes them."""
    words = ("secret", "token", "password")
    return [str(v) for k, v in config.items() if any(w in k for w in words) and v]
