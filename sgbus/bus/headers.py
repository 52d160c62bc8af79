"""Kafka header names the bus sets. Values are UTF-8 strings.

On every record the publisher writes: ``EVENT_ID``, ``EVENT_TYPE``, ``TRACEPARENT``.
On ``sg.audit`` copies the router adds: ``SOURCE_TOPIC``, ``DELIVERED_TO`` (comma-separated
party ids it delivered the event to; how the watchdog learns the catalogue-resolved recipients
of an approval result) and ``UNASSIGNED`` (``1`` when it went to the unassigned pool).
On ``sg.deadletter`` records: ``DLQ_REASON``, ``DLQ_DETAIL``, ``SOURCE_TOPIC``,
``SOURCE_PARTITION``, ``SOURCE_OFFSET``, and ``PAYLOAD_ENCRYPTED`` or ``PAYLOAD_DROPPED`` (how
the original payload is kept; a sender's headers never are).
On a dead letter's original published again by ``sgbus deadletter replay``: ``REPLAY_OF``
(the dead letter's event id); the router delivers such a replay once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

HeaderList = Sequence[tuple[str, bytes | str | None]]

EVENT_ID = "sgbus-event-id"
EVENT_TYPE = "sgbus-event-type"
TRACEPARENT = "traceparent"
SOURCE_TOPIC = "sgbus-source-topic"
SOURCE_PARTITION = "sgbus-source-partition"
SOURCE_OFFSET = "sgbus-source-offset"
DELIVERED_TO = "sgbus-delivered-to"
UNASSIGNED = "sgbus-unassigned"
ASSIGNED_BY = "sgbus-assigned-by"
DLQ_REASON = "sgbus-dlq-reason"
DLQ_DETAIL = "sgbus-dlq-detail"
REPLAY_OF = "sgbus-replay-of"
#: On a dead letter (its record and its ``original_headers``): ``fernet`` when the original
#: payload is kept encrypted; ``PAYLOAD_DROPPED`` ``1`` when it was not kept at all.
PAYLOAD_ENCRYPTED = "sgbus-payload-encrypted"
PAYLOAD_DROPPED = "sgbus-payload-dropped"


#: Prefix of the headers only the bus sets; a sender's own are dropped by the router.
BUS_PREFIX = "sgbus-"
#: The one bus header a sender's record keeps: ``sgbus deadletter replay`` writes it into the
#: outbox, and it can only make the router deliver that record once, never suppress another
#: party's (the replay ledger holds events this router delivered as replays).
_KEPT_FROM_SENDERS = frozenset({REPLAY_OF})


def sender_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of a consumed outbox record the router may pass on: the sender's own
    (``traceparent``, anything not ``sgbus-``), never a bus header it forged — a sender cannot
    mark its record unassigned, delivered or assigned, and so switch off deadline tracking."""
    return {
        name: value
        for name, value in headers.items()
        if not name.startswith(BUS_PREFIX) or name in _KEPT_FROM_SENDERS
    }


def header_map(headers: HeaderList | Mapping[str, bytes | str | None] | None) -> dict[str, str]:
    """Headers of a consumed record as a dict of strings (the last value of a name wins);
    confluent-kafka gives a list of pairs, a dict is taken too."""
    out: dict[str, str] = {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in pairs:
        if value is None:
            continue
        out[name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return out


def format_parties(parties: Iterable[str]) -> str:
    """The ``DELIVERED_TO`` value for ``parties`` (order kept, duplicates dropped)."""
    return ",".join(dict.fromkeys(parties))


def parse_parties(value: str | None) -> tuple[str, ...]:
    """Party ids of a ``DELIVERED_TO`` value; blanks between commas are ignored."""
    if not value:
        return ()
    return tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))


def is_unassigned(headers: dict[str, str]) -> bool:
    """Whether the ``UNASSIGNED`` header marks the record as sent to the unassigned pool."""
    return headers.get(UNASSIGNED, "").strip() == "1"
