"""The transactional writer's error model, on a scripted producer: retry, abort, recreate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sgbus.runtime.faults import classify
from sgbus.runtime.guard import CallAbandoned, call_with_deadline
from sgbus.runtime.transactions import Headers, TransactionalWriter, TransactionFailed


@dataclass(frozen=True)
class Rec:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    timestamp_ms: int | None = None


RECORDS = [Rec("sg.a.inbox", b"k", b"v", {"h": "1"}), Rec("sg.audit", b"k", b"v")]
OFFSETS = [TopicPartition("sg.x.outbox", 0, 11)]


def kafka(code: int, **flags: bool) -> KafkaException:
    return KafkaException(KafkaError(code, "scripted", **flags))


ABORTABLE = kafka(KafkaError._TIMED_OUT, txn_requires_abort=True)
RETRIABLE = kafka(KafkaError._TIMED_OUT, retriable=True)
FATAL = kafka(KafkaError._FENCED, fatal=True)
CONFLICT = kafka(KafkaError._CONFLICT)
INVALID_STATE = kafka(KafkaError.INVALID_TXN_STATE)


class FakeProducer:
    """Records calls; ``script[name]`` lists what successive calls of ``name`` do: an
    exception to raise, a callable to run (e.g. block), or None to succeed."""

    def __init__(self, script: dict[str, list[Any]]) -> None:
        self.script = script
        self.calls: list[str] = []
        self.produced: list[tuple[str, bytes | None, bytes | None, Headers | None]] = []

    def _do(self, name: str) -> None:
        self.calls.append(name)
        steps = self.script.get(name)
        step = steps.pop(0) if steps else None
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step()

    def init_transactions(self, timeout: float = -1) -> None:
        self._do("init_transactions")

    def begin_transaction(self) -> None:
        self._do("begin_transaction")

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        headers: Headers | None = None,
        timestamp: int = 0,
    ) -> None:
        self._do("produce")
        self.produced.append((topic, key, value, headers))

    def poll(self, timeout: float = -1) -> int:
        self.calls.append("poll")
        return 0

    def send_offsets_to_transaction(
        self, positions: list[TopicPartition], group_metadata: Any, timeout: float = -1
    ) -> None:
        self._do("send_offsets_to_transaction")

    def commit_transaction(self, timeout: float = -1) -> None:
        self._do("commit_transaction")

    def abort_transaction(self, timeout: float = -1) -> None:
        self._do("abort_transaction")


class Factory:
    """Hands out scripted producers in order (then well-behaved ones)."""

    def __init__(self, *scripts: dict[str, list[Any]]) -> None:
        self.scripts = list(scripts)
        self.made: list[FakeProducer] = []

    def __call__(self) -> FakeProducer:
        producer = FakeProducer(self.scripts.pop(0) if self.scripts else {})
        self.made.append(producer)
        return producer


def writer(factory: Factory, stop: threading.Event | None = None, **kw: Any) -> TransactionalWriter:
    return TransactionalWriter(factory, stop or threading.Event(), **kw)


def write(w: TransactionalWriter) -> None:
    w.write(RECORDS, OFFSETS, object())


TXN = [
    "begin_transaction",
    "produce",
    "produce",
    "send_offsets_to_transaction",
    "commit_transaction",
]


def test_a_batch_is_one_transaction_with_its_offsets() -> None:
    factory = Factory()
    w = writer(factory)
    write(w)
    write(w)
    (p,) = factory.made
    assert p.calls == ["init_transactions", *TXN, *TXN]
    assert p.produced[0] == ("sg.a.inbox", b"k", b"v", [("h", "1")])


def test_retriable_commit_is_retried_in_the_same_transaction() -> None:
    factory = Factory({"commit_transaction": [RETRIABLE, RETRIABLE]})
    w = writer(factory)
    write(w)
    (p,) = factory.made
    assert p.calls.count("commit_transaction") == 3
    assert "abort_transaction" not in p.calls and p.calls.count("begin_transaction") == 1


def test_abortable_error_aborts_and_keeps_the_producer() -> None:
    factory = Factory({"send_offsets_to_transaction": [ABORTABLE]})
    w = writer(factory)
    with pytest.raises(TransactionFailed) as info:
        write(w)
    assert not info.value.recreated and classify(info.value) is not None
    (p,) = factory.made
    assert p.calls[-1] == "abort_transaction" and "commit_transaction" not in p.calls
    write(w)
    assert len(factory.made) == 1 and p.calls.count("init_transactions") == 1


@pytest.mark.parametrize(
    "error", [FATAL, CONFLICT, INVALID_STATE, kafka(KafkaError._STATE)], ids=str
)
def test_fatal_or_confused_state_recreates_the_producer_without_aborting(
    error: KafkaException,
) -> None:
    factory = Factory({"commit_transaction": [error]})
    w = writer(factory)
    with pytest.raises(TransactionFailed) as info:
        write(w)
    assert info.value.recreated
    old = factory.made[0]
    assert old.calls == ["init_transactions", *TXN]  # nothing after the failed commit
    write(w)
    new = factory.made[1]
    assert new.calls == ["init_transactions", *TXN]  # init fences the old producer
    assert old.calls == ["init_transactions", *TXN]


def test_an_abort_that_fails_recreates_the_producer() -> None:
    factory = Factory({"commit_transaction": [ABORTABLE], "abort_transaction": [CONFLICT]})
    w = writer(factory)
    with pytest.raises(TransactionFailed) as info:
        write(w)
    assert info.value.recreated
    write(w)
    assert len(factory.made) == 2


def test_retries_used_up_recreate_rather_than_abort() -> None:
    # An abort after a commit that timed out fails with _CONFLICT: recreate instead.
    factory = Factory({"commit_transaction": [RETRIABLE] * 5})
    w = writer(factory, retries=2)
    with pytest.raises(TransactionFailed) as info:
        write(w)
    assert info.value.recreated
    old = factory.made[0]
    assert old.calls.count("commit_transaction") == 3 and "abort_transaction" not in old.calls


def test_a_call_past_its_deadline_is_abandoned_and_the_producer_recreated() -> None:
    release = threading.Event()
    factory = Factory({"send_offsets_to_transaction": [lambda: release.wait(10)]})
    w = writer(factory, deadline_s=0.3)
    started = time.monotonic()
    with pytest.raises(TransactionFailed) as info:
        write(w)
    assert time.monotonic() - started < 2 and info.value.recreated
    old = factory.made[0]
    calls_then = list(old.calls)
    write(w)
    release.set()
    assert len(factory.made) == 2
    assert old.calls == calls_then  # nothing more was called on the abandoned producer


def test_the_stop_signal_ends_a_stuck_call_after_a_short_grace() -> None:
    release = threading.Event()
    stop = threading.Event()
    factory = Factory({"commit_transaction": [lambda: release.wait(10)]})
    w = writer(factory, stop, deadline_s=60, stop_grace_s=0.5)
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(TransactionFailed):
        write(w)
    release.set()
    assert 0.6 <= time.monotonic() - started < 2.5


def test_init_is_retried_on_the_same_producer_when_retriable_else_on_a_new_one() -> None:
    factory = Factory({"init_transactions": [RETRIABLE]}, {"init_transactions": [FATAL]})
    w = writer(factory)
    with pytest.raises(TransactionFailed):
        w.ready()
    w.ready()
    assert len(factory.made) == 1 and factory.made[0].calls == ["init_transactions"] * 2
    factory2 = Factory({"init_transactions": [FATAL]})
    w2 = writer(factory2)
    with pytest.raises(TransactionFailed):
        w2.ready()
    w2.ready()
    assert len(factory2.made) == 2


def test_a_full_local_queue_is_drained_then_produced() -> None:
    factory = Factory({"produce": [BufferError(), BufferError()]})
    w = writer(factory)
    write(w)
    p = factory.made[0]
    assert p.calls.count("poll") == 2 and len(p.produced) == 2


def test_close_aborts_a_transaction_left_open() -> None:
    factory = Factory({"produce": [TypeError("a bug")]})
    w = writer(factory)
    with pytest.raises(TypeError):
        write(w)
    w.close(deadline_s=1)
    assert factory.made[0].calls[-1] == "abort_transaction"


def test_guard_grace_lets_a_call_finish_after_stop() -> None:
    stop = threading.Event()
    stop.set()
    slow: Callable[[], int] = lambda: time.sleep(0.3) or 4  # noqa: E731
    assert call_with_deadline(slow, 10, stop, "finishing", grace_s=2) == 4
    with pytest.raises(CallAbandoned):
        call_with_deadline(lambda: time.sleep(3), 10, stop, "stuck", grace_s=0.3)
