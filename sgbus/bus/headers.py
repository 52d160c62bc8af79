"""Kafka record headers the bus sets, and helpers to read them.

The router writes, for every accepted event, one record to ``sg.audit`` whose value is the
original encoded event and whose headers say what it did with it. The watchdog reads them:
``DELIVERED_TO`` is how it learns the catalogue-resolved recipients of an approval result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

EVENT_ID = "sgbus-event-id"
"""Event id of the record's event (the envelope's ``event_id``)."""

EVENT_TYPE = "sgbus-event-type"
"""Event type (Avro record name, unqualified), e.g. ``ApprovalResult``."""

SOURCE_TOPIC = "sgbus-source-topic"
"""Outbox topic the router read the event from."""

DELIVERED_TO = "sgbus-delivered-to"
"""Comma-separated party ids whose inboxes received a copy."""

UNASSIGNED = "sgbus-unassigned"
"""``1`` when the event went to the unassigned pool (no supervising department known)."""

HeaderList = Sequence[tuple[str, bytes | str | None]]


def header_map(headers: HeaderList | None) -> dict[str, str]:
    """Headers as a dict of text values (the last value wins for a repeated name)."""
    out: dict[str, str] = {}
    for name, value in headers or ():
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
