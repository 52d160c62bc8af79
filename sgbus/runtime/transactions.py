"""Kafka transactions for a consume → transform → produce service: all or nothing, per batch.

:class:`TransactionalWriter` writes one batch's output records together with the consumed
offsets in one transaction, and follows confluent-kafka's transaction error model so that a
service never has to:

* **retriable** (``err.retriable()``) — the call is retried, a few times, in the same
  transaction;
* **abortable** (``err.txn_requires_abort()``) — the transaction is aborted; the producer
  stays usable;
* **fatal**, an abort that fails, a conflicting or invalid transaction state (``_CONFLICT``,
  ``_STATE``, ``INVALID_TXN_STATE``), or retries used up — the producer is dropped and a new
  one with the same ``transactional.id`` takes its place before the next batch;
  ``init_transactions`` on it fences the old one and settles the old transaction (the broker
  completes or aborts it);
* a call that ignores its own timeout (``init_transactions``, ``send_offsets_to_transaction``,
  ``commit_transaction``, ``abort_transaction``) runs under :func:`call_with_deadline`; when it
  is abandoned, nothing more is called on that producer — it is dropped the same way.

Every failure leaves the writer ready for the next attempt and ends in
:class:`TransactionFailed` (transient), on which the service rewinds its consumer to the
**committed** offsets: after an abandoned commit only the broker knows whether the batch made
it, and the committed offsets say so.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import structlog
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sgbus.runtime.faults import TransientError, is_authorization_refusal, not_authorized
from sgbus.runtime.guard import CallAbandoned, call_with_deadline

log = structlog.get_logger("sgbus.runtime.transactions")

T = TypeVar("T")
Headers = list[tuple[str, str | bytes | None]]

#: Error codes after which the producer's transaction state cannot be trusted: aborting would
#: only fail again (``_CONFLICT``: "Conflicting commit_transaction API call is already in
#: progress" after a timed-out commit).
_RECREATE_CODES = frozenset({KafkaError._CONFLICT, KafkaError._STATE, KafkaError.INVALID_TXN_STATE})
#: Fatal codes that also mean another live producer may hold our transactional id.
_FENCED_CODES = frozenset({KafkaError._FENCED, KafkaError.PRODUCER_FENCED})


class TransactionalProducer(Protocol):
    """The part of a transactional ``confluent_kafka.Producer`` the writer uses."""

    def init_transactions(self, timeout: float = -1) -> None:
        """Register the transactional id with the coordinator (fences older producers)."""
        ...

    def begin_transaction(self) -> None:
        """Start a transaction (local)."""
        ...

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        headers: Headers | None = None,
        timestamp: int = 0,
    ) -> None:
        """Queue one record (``timestamp``: milliseconds; 0 lets the client stamp it)."""
        ...

    def poll(self, timeout: float = -1) -> int:
        """Serve delivery reports (frees the local queue)."""
        ...

    def send_offsets_to_transaction(
        self, positions: list[TopicPartition], group_metadata: Any, timeout: float = -1
    ) -> None:
        """Add the consumer's next offsets to the transaction."""
        ...

    def commit_transaction(self, timeout: float = -1) -> None:
        """Flush and commit."""
        ...

    def abort_transaction(self, timeout: float = -1) -> None:
        """Purge and abort."""
        ...


class Outgoing(Protocol):
    """One record to write."""

    @property
    def topic(self) -> str:
        """Where to write it."""
        ...

    @property
    def key(self) -> bytes | None:
        """Its key (partitioning)."""
        ...

    @property
    def value(self) -> bytes | None:
        """Its value."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Its headers."""
        ...

    @property
    def timestamp_ms(self) -> int | None:
        """Its timestamp in milliseconds; None lets the client stamp it."""
        ...


class TransactionFailed(TransientError):
    """A batch's transaction did not commit (or may not have): nothing of it is visible to
    ``read_committed`` readers. Rewind to the committed offsets and try again."""

    def __init__(self, reason: str, *, recreated: bool) -> None:
        super().__init__("broker", reason)
        self.recreated = recreated


class TransactionalWriter:
    """Writes batches in Kafka transactions through producers made by ``make_producer``.

    ``make_producer`` must return a new producer with the same ``transactional.id`` on every
    call. ``timeout_s`` is passed to librdkafka; ``deadline_s`` is how long the writer waits
    for a call that ignores it; ``stop_grace_s`` is how long a call may still finish once the
    stop signal is set.
    """

    def __init__(
        self,
        make_producer: Callable[[], TransactionalProducer],
        stop: threading.Event,
        *,
        timeout_s: float = 30.0,
        deadline_s: float = 45.0,
        retries: int = 3,
        stop_grace_s: float = 3.0,
    ) -> None:
        self._make = make_producer
        self._stop = stop
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s
        self.retries = retries
        self.stop_grace_s = stop_grace_s
        self._producer: TransactionalProducer | None = None
        self._initialised = False
        self._in_transaction = False
        #: Producers created so far (1 after the first :meth:`ready`).
        self.producers_made = 0
        #: Transactions aborted or given up (producer dropped).
        self.failures = 0

    def ready(self) -> None:
        """Make sure a producer exists and its transactions are initialised.

        Raises :class:`TransactionFailed` (transient) when the coordinator cannot be reached
        yet; call again later.
        """
        if self._producer is None:
            self._producer = self._make()
            self._initialised = False
            self.producers_made += 1
        if self._initialised:
            return
        producer = self._producer
        try:
            self._guarded(lambda: producer.init_transactions(self.timeout_s), "init_transactions")
        except CallAbandoned as exc:
            self._drop("init_transactions abandoned")
            raise TransactionFailed(exc.reason, recreated=True) from exc
        except KafkaException as exc:
            err = _error_of(exc)
            # A retriable init (coordinator not there yet) may be called again on the same
            # producer; anything else needs a new one.
            drop = not err.retriable() or err.fatal()
            if drop:
                self._drop(f"init_transactions: {err.name()}")
            raise TransactionFailed(f"init_transactions: {err.name()}", recreated=drop) from exc
        self._initialised = True

    def write(
        self,
        records: Iterable[Outgoing],
        offsets: Sequence[TopicPartition],
        group_metadata: Any,
    ) -> None:
        """Produce ``records`` and commit them with the consumer's ``offsets``, in one
        transaction. Raises :class:`TransactionFailed` when it did not (certainly) commit."""
        self.ready()
        producer = self._producer
        assert producer is not None
        try:
            producer.begin_transaction()
            self._in_transaction = True
            for rec in records:
                self._produce(producer, rec)
            positions = list(offsets)
            self._retrying(
                lambda: producer.send_offsets_to_transaction(
                    positions, group_metadata, self.timeout_s
                ),
                "send_offsets_to_transaction",
            )
            self._retrying(
                lambda: producer.commit_transaction(self.timeout_s), "commit_transaction"
            )
            self._in_transaction = False
        except CallAbandoned as exc:
            self.failures += 1
            self._drop(exc.reason)
            raise TransactionFailed(exc.reason, recreated=True) from exc
        except KafkaException as exc:
            self.failures += 1
            err = _error_of(exc)
            recreated = self._recover(err)
            if is_authorization_refusal(err.code()):
                raise not_authorized(f"a transaction's write: {err.str()}") from exc
            raise TransactionFailed(err.name(), recreated=recreated) from exc

    def close(self, deadline_s: float = 5.0) -> None:
        """Abort a transaction left open (it would hold back ``read_committed`` readers until
        it timed out) and release the producer, waiting at most ``deadline_s``."""
        producer = self._producer
        if producer is not None and self._in_transaction:
            # If this fails, the next instance with this transactional id aborts it.
            with contextlib.suppress(CallAbandoned, KafkaException):
                call_with_deadline(
                    lambda: producer.abort_transaction(deadline_s),
                    deadline_s,
                    threading.Event(),
                    "abort_transaction",
                )
        self._release()

    # ------------------------------------------------------------------ internals
    def _produce(self, producer: TransactionalProducer, rec: Outgoing) -> None:
        headers: Headers = list(rec.headers.items())
        started = time.monotonic()
        while True:
            try:
                producer.produce(
                    rec.topic,
                    value=rec.value,
                    key=rec.key,
                    headers=headers,
                    timestamp=rec.timestamp_ms or 0,
                )
                return
            except BufferError:
                # The local queue is full: let deliveries drain, but not past the deadline or
                # the stop signal (while the broker is away nothing drains).
                if self._stop.is_set() or time.monotonic() - started > self.deadline_s:
                    raise CallAbandoned("broker", "local produce queue stayed full") from None
                producer.poll(0.05)

    def _recover(self, err: KafkaError) -> bool:
        """Leave a usable producer after ``err``; True when it had to be recreated."""
        abortable = err.txn_requires_abort() and not err.fatal()
        if abortable and err.code() not in _RECREATE_CODES and self._abort():
            return False
        if err.fatal() and err.code() in _FENCED_CODES:
            log.warning(
                "producer fenced; is another instance running with this transactional id?",
                error=err.name(),
            )
        self._drop(err.name())
        return True

    def _abort(self) -> bool:
        """Abort the open transaction; False when that failed and the producer must go."""
        producer = self._producer
        assert producer is not None
        try:
            self._retrying(lambda: producer.abort_transaction(self.timeout_s), "abort_transaction")
        except (CallAbandoned, KafkaException) as exc:
            log.warning("abort failed; recreating the producer", error=_name_of(exc))
            return False
        self._in_transaction = False
        log.info("transaction aborted; the batch will be read again")
        return True

    def _retrying(self, call: Callable[[], None], what: str) -> None:
        """``call`` under the deadline, again after a retriable error (same transaction)."""
        for attempt in range(self.retries + 1):
            try:
                self._guarded(call, what)
                return
            except KafkaException as exc:
                err = _error_of(exc)
                retry = err.retriable() and not (err.fatal() or err.txn_requires_abort())
                if not retry or attempt == self.retries or self._stop.is_set():
                    raise
                log.info("retrying a transaction call", call=what, error=err.name())

    def _guarded(self, call: Callable[[], T], what: str) -> T:
        return call_with_deadline(
            call, self.deadline_s, self._stop, what, grace_s=self.stop_grace_s
        )

    def _drop(self, why: str) -> None:
        """Forget the current producer; the next :meth:`ready` makes a new one."""
        if self._producer is not None:
            log.warning("recreating the transactional producer", reason=why)
        self._release()

    def _release(self) -> None:
        """Let go of the producer without calling it: a guarded call may still be running on
        it, and destroying a client whose broker is away can block, so its last reference is
        dropped on a helper thread."""
        box: list[object] = [self._producer] if self._producer is not None else []
        self._producer = None
        self._initialised = False
        self._in_transaction = False
        if box:
            threading.Thread(target=box.clear, name="release-producer", daemon=True).start()


def _error_of(exc: KafkaException) -> KafkaError:
    err = exc.args[0] if exc.args else None
    if isinstance(err, KafkaError):
        return err
    return KafkaError(KafkaError._FAIL, str(err), fatal=True)


def _name_of(exc: BaseException) -> str:
    if isinstance(exc, KafkaException):
        return _error_of(exc).name()
    return type(exc).__name__
