"""What the router reads and writes, as plain data (no Kafka types), so routing is testable."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InRecord:
    """A record consumed from an outbox."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    #: When the outbox took the record (outbox topics use ``LogAppendTime``), in ms.
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class OutRecord:
    """A record to produce inside the router's transaction."""

    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    #: Kept from the outbox record on deliveries and audit copies: the watchdog times an
    #: answer by when the bus received it, not by when the router happened to copy it.
    timestamp_ms: int | None = None
