"""The service runtime's pure parts: fault classification, backoff, health, loop, guard."""

from __future__ import annotations

import logging
import pickle
import threading
import time

import pytest
from confluent_kafka import KafkaError, KafkaException
from sqlalchemy.exc import OperationalError

from sgbus.bus.serde import RegistryUnavailable, build_serde
from sgbus.bus.serde.errors import DecodeError
from sgbus.monitoring import metrics
from sgbus.runtime.backoff import Backoff
from sgbus.runtime.faults import Fault, TransientError, classify
from sgbus.runtime.guard import CallAbandoned, call_with_deadline
from sgbus.runtime.health import Health
from sgbus.runtime.kafka_logs import RateLimit
from sgbus.runtime.loop import ServiceLoop


class _HttpError(Exception):
    def __init__(self, status: int) -> None:
        self.http_status_code = status


class ConnectError(Exception):
    """Named like httpx's connection error."""


def test_registry_5xx_and_network_errors_are_transient_4xx_is_not() -> None:
    assert classify(_HttpError(503)) == Fault("registry", "HTTP 503")
    assert classify(_HttpError(429)) is not None
    assert classify(_HttpError(404)) is None
    assert classify(ConnectError("refused")) == Fault("registry", "ConnectError")


def test_a_wrapped_cause_is_found() -> None:
    try:
        try:
            raise _HttpError(502)
        except _HttpError as inner:
            raise ValueError("decode failed") from inner
    except ValueError as outer:
        assert classify(outer) == Fault("registry", "HTTP 502")


def test_a_definite_registry_answer_under_a_wrapper_stays_permanent() -> None:
    try:
        try:
            raise ConnectionError("earlier")
        except ConnectionError:
            raise _HttpError(404) from None
    except _HttpError as exc:
        assert classify(exc) is None


def test_kafka_transport_is_transient_fatal_is_not() -> None:
    assert classify(KafkaException(KafkaError(KafkaError._TRANSPORT))) is not None
    assert classify(KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN))) is not None
    assert classify(KafkaException(KafkaError(KafkaError._FENCED, fatal=True))) is None
    assert classify(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))) is None


def test_database_operational_error_is_transient() -> None:
    exc = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert classify(exc) == Fault("database", "Exception")


def test_plain_bugs_are_not_transient() -> None:
    assert classify(KeyError("x")) is None
    assert classify(ValueError("bad")) is None


def test_unreachable_registry_is_transient_for_the_serde() -> None:
    from confluent_kafka.schema_registry import SchemaRegistryClient

    # Nothing listens on the discard port; no retries, whose waits would only slow the test.
    client = SchemaRegistryClient({"url": "http://127.0.0.1:9", "max.retries": 0})
    serde = build_serde(registry_client=client)
    with pytest.raises(RegistryUnavailable) as info:
        serde.decode(b"\x00\x00\x00\x00\x07" + b"\x00" * 8, "sg.x.outbox", 0, 1)
    assert classify(info.value) is not None
    assert not isinstance(info.value, DecodeError)


def test_transient_errors_survive_pickling_as_themselves() -> None:
    # A fault raised in a worker process travels back pickled.
    for exc in (TransientError("database", "gone"), RegistryUnavailable("schema id 7: timeout")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc)
        assert (back.source, back.reason, str(back)) == (exc.source, exc.reason, str(exc))
        assert classify(back) == classify(exc)


def test_backoff_grows_to_its_bound_and_resets() -> None:
    b = Backoff(initial_s=1, maximum_s=8, jitter=0)
    assert [b.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    b.reset()
    assert b.next_delay() == 1


def test_health_logs_once_per_state_change(caplog: pytest.LogCaptureFixture) -> None:
    health = Health("router")
    fault = Fault("broker", "_TRANSPORT")
    for _ in range(5):
        health.failed(fault)
    assert not health.healthy
    assert metrics.SERVICE_HEALTHY.labels("router")._value.get() == 0
    health.ok()
    assert health.healthy
    assert metrics.SERVICE_HEALTHY.labels("router")._value.get() == 1


def test_loop_retries_transient_faults_and_stops_on_bugs() -> None:
    stop = threading.Event()
    loop = ServiceLoop("router", stop, backoff=Backoff(initial_s=0.01, maximum_s=0.01))
    calls: list[int] = []
    rewinds: list[Fault] = []

    def step() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("database", "down")
        if len(calls) == 3:
            stop.set()

    loop.run(step, on_fault=rewinds.append)
    assert len(calls) == 3
    assert rewinds == [Fault("database", "down")] * 2
    assert loop.health.healthy

    def bug() -> None:
        raise KeyError("bug")

    stop.clear()
    with pytest.raises(KeyError):
        loop.run(bug)


def test_until_done_returns_the_result_after_faults() -> None:
    loop = ServiceLoop("router", threading.Event(), backoff=Backoff(initial_s=0.01))
    tries = iter([TransientError("registry", "down"), None])

    def call() -> int:
        err = next(tries)
        if err is not None:
            raise err
        return 7

    assert loop.until_done(call) == 7


def test_guard_abandons_a_call_that_ignores_its_timeout() -> None:
    stop = threading.Event()
    assert call_with_deadline(lambda: 5, 1, stop, "quick") == 5
    started = time.monotonic()
    with pytest.raises(CallAbandoned):
        call_with_deadline(lambda: time.sleep(5), 0.5, stop, "stuck")
    assert time.monotonic() - started < 2
    with pytest.raises(ZeroDivisionError):
        call_with_deadline(lambda: 1 / 0, 1, stop, "failing")


def test_guard_gives_up_at_the_stop_signal() -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(CallAbandoned):
        call_with_deadline(lambda: time.sleep(5), 60, stop, "stuck")
    assert time.monotonic() - started < 2


def test_rate_limit_passes_one_line_per_facility_and_interval() -> None:
    limit = RateLimit(interval_s=60)

    def rec(fac: str) -> logging.LogRecord:
        return logging.LogRecord("k", logging.ERROR, "", 0, "%s [%s] %s", (fac, "c", "m"), None)

    passed = [limit.filter(rec("FAIL")) for _ in range(25)]
    assert passed.count(True) == 1
    assert limit.filter(rec("REQTMOUT"))
