"""Which failures pass by themselves (transient) and which never will (permanent).

The runtime's one error policy rests on this split:

* **transient** — the registry unreachable or answering 5xx, the broker unreachable, the
  database down or deadlocked, a Kafka transaction that must be aborted. The work is retried
  with backoff; nothing is dead-lettered, skipped or committed past.
* **permanent** — bad bytes, a schema id the registry answered it does not know, an invalid
  payload. The record is dead-lettered with its reason and the stream goes on.

Anything else is a bug or a fatal configuration error and ends the service. A refusal by the
broker's ACLs is one (:class:`NotAuthorized`): waiting would not grant the right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["registry", "broker", "database", "relay", "target", "other"]

#: Exception classes of HTTP and network clients that mean "could not reach the other side",
#: matched by name because the registry client may use either httpx or its successor httpx2.
_NETWORK_ERROR_NAMES = frozenset(
    {"TransportError", "TimeoutException", "NetworkError", "ConnectError", "ReadError"}
)


class TransientError(Exception):
    """Raised by sgbus code for a failure that may pass: retry later, do not skip.

    ``source`` names the party that failed (for the log and the health reason); the message
    must not carry personal data.
    """

    def __init__(self, source: Source, reason: str) -> None:
        self.source: Source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whatever a subclass's constructor takes, so that a fault raised in a worker
        # process (e.g. the registry away while it decodes) reaches the service as itself.
        return (_restore_transient, (type(self), self.source, self.reason))


def _restore_transient(cls: type[TransientError], source: Source, reason: str) -> TransientError:
    exc = cls.__new__(cls)
    TransientError.__init__(exc, source, reason)
    return exc


class NotAuthorized(Exception):
    """The broker refused this principal an operation its ACLs do not grant (a configuration
    error: wrong credentials, or ACLs not applied); ends the service with this message."""


def not_authorized(what: str) -> NotAuthorized:
    """The error for a refusal, saying what to check."""
    return NotAuthorized(
        f"not authorized: {what}. Check that this service runs with its own credentials"
        " (SGBUS_CREDENTIALS) and that the ACLs are applied (`sgbus acls apply`)"
    )


def is_authorization_refusal(code: int) -> bool:
    """Whether a Kafka error code is an ACL refusal."""
    from confluent_kafka import KafkaError

    return code in (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    )


@dataclass(frozen=True)
class Fault:
    """A transient failure as the runtime reports it: who failed, and a data-free reason."""

    source: Source
    reason: str


def classify(exc: BaseException) -> Fault | None:
    """The transient fault ``exc`` stands for, or None when it is not transient.

    Walks the ``__cause__``/``__context__`` chain, so a library error wrapped by sgbus code is
    recognised too.
    """
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        fault = _classify_one(cur)
        if fault is not None:
            return fault
        if _is_permanent_http(cur):
            return None
        cur = cur.__cause__ or cur.__context__
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a failure that may pass on retry."""
    return classify(exc) is not None


def _classify_one(exc: BaseException) -> Fault | None:
    if isinstance(exc, TransientError):
        return Fault(exc.source, exc.reason)
    status = getattr(exc, "http_status_code", None)
    if isinstance(status, int) and (status >= 500 or status in (408, 429)):
        return Fault("registry", f"HTTP {status}")
    if any(c.__name__ in _NETWORK_ERROR_NAMES for c in type(exc).__mro__):
        return Fault("registry", type(exc).__name__)
    kafka = _kafka_fault(exc)
    if kafka is not None:
        return kafka
    db = _database_fault(exc)
    if db is not None:
        return db
    if isinstance(exc, ConnectionError | TimeoutError):
        return Fault("other", type(exc).__name__)
    return None


def _is_permanent_http(exc: BaseException) -> bool:
    status = getattr(exc, "http_status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)


def _kafka_fault(exc: BaseException) -> Fault | None:
    from confluent_kafka import KafkaError, KafkaException

    if not isinstance(exc, KafkaException) or not exc.args:
        return None
    err = exc.args[0]
    if not isinstance(err, KafkaError) or err.fatal():
        return None
    if err.retriable() or err.txn_requires_abort() or err.code() in _TRANSIENT_KAFKA_CODES:
        return Fault("broker", err.name())
    return None


def _database_fault(exc: BaseException) -> Fault | None:
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, PoolTimeout):
        return Fault("database", "connection pool timeout")
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return Fault("database", "connection lost")
    orig = exc.orig
    name = type(orig).__name__ if orig is not None else type(exc).__name__
    # psycopg: OperationalError covers server gone/restarting, SerializationFailure and
    # DeadlockDetected are retried by design; SQLite: "database is locked" is OperationalError.
    if name in _TRANSIENT_DB_ERRORS or type(exc).__name__ == "OperationalError":
        return Fault("database", name)
    return None


_TRANSIENT_DB_ERRORS = frozenset(
    {
        "OperationalError",
        "SerializationFailure",
        "DeadlockDetected",
        "AdminShutdown",
        "CannotConnectNow",
        "ConnectionFailure",
        "InterfaceError",
    }
)


def _transient_kafka_codes() -> frozenset[int]:
    from confluent_kafka import KafkaError

    return frozenset(
        {
            KafkaError._TRANSPORT,
            KafkaError._ALL_BROKERS_DOWN,
            KafkaError._TIMED_OUT,
            KafkaError._MSG_TIMED_OUT,
            KafkaError._WAIT_COORD,
            KafkaError._RESOLVE,
            KafkaError._CONFLICT,
            KafkaError._STATE,
            KafkaError.REQUEST_TIMED_OUT,
            KafkaError.NOT_COORDINATOR,
            KafkaError.COORDINATOR_NOT_AVAILABLE,
            KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
            KafkaError.NOT_ENOUGH_REPLICAS,
            KafkaError.LEADER_NOT_AVAILABLE,
            KafkaError.NOT_LEADER_FOR_PARTITION,
            KafkaError.CONCURRENT_TRANSACTIONS,
            KafkaError.NETWORK_EXCEPTION,
        }
    )


_TRANSIENT_KAFKA_CODES = _transient_kafka_codes()
