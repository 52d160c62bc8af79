"""Kafka header names the bus sets. Values are UTF-8 strings.

On every record the publisher writes: ``EVENT_ID``, ``EVENT_TYPE``, ``TRACEPARENT``.
On ``sg.audit`` copies the router adds: ``SOURCE_TOPIC``, ``DELIVERED_TO`` (comma-separated
party ids it delivered the event to; how the watchdog learns the catalogue-resolved recipients
of an approval result) and ``UNASSIGNED`` (``1`` when it went to the unassigned pool).
On ``sg.deadletter`` records: ``DLQ_REASON``, ``DLQ_DETAIL``, ``SOURCE_TOPIC``,
``SOURCE_PARTITION``, ``SOURCE_OFFSET``.
"""

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


def header_map(headers: list[tuple[str, bytes | str | None]] | None) -> dict[str, str]:
    """Headers of a consumed record as a dict of strings (the last value of a name wins)."""
    out: dict[str, str] = {}
    for name, value in headers or []:
        if value is None:
            continue
        out[name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return out
