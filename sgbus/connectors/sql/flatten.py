"""An inbox item as a row of ``sgbus_inbox``: key columns beside the full JSON (pure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sgbus.bus.events import Event
from sgbus.connectors.api import InboxRecord

#: The claim deadline of an item (None when the item is not claimed or none applies).
Deadline = Callable[[Event], datetime | None]


def inbox_row(record: InboxRecord, received_at: datetime, deadline: Deadline) -> dict[str, Any]:
    """The ``sgbus_inbox`` row of ``record``."""
    event = record.event
    return {
        "event_id": record.event_id,
        "event_type": record.event_type,
        "case_key": event.envelope.case_key,
        "matter_code": _code(getattr(event, "matter", None)),
        "licensee_uscc": _attr(getattr(event, "licensee", None), "uscc"),
        "decision_date": _date(event),
        "claim_deadline": deadline(event),
        "payload": event.model_dump_json(),
        "received_at": received_at,
    }


def _code(matter: object) -> str | None:
    value = _attr(matter, "code")
    return value if isinstance(value, str) else None


def _attr(obj: object, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None


def _date(event: Event) -> date | None:
    value = getattr(event, "decision_date", None)
    return value if isinstance(value, date) else None
