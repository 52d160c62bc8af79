"""Inbox items as CloudEvents 1.0 in structured JSON mode (``application/cloudevents+json``).

``id`` is the bus event id — the key a receiver deduplicates on — ``type`` names the event
type, ``subject`` the case, ``data`` is the event as published, in the bus's JSON Schema
(``docs/jsonschema``), and the W3C ``traceparent`` rides as the distributed-tracing extension.
"""

from __future__ import annotations

import json
from typing import Any

from sgbus.connectors.api import InboxRecord

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
TYPE_PREFIX = "cn.gov.sgbus."


def cloud_event(record: InboxRecord) -> dict[str, Any]:
    """The CloudEvent of one inbox item."""
    env = record.event.envelope
    out: dict[str, Any] = {
        "specversion": "1.0",
        "id": record.event_id,
        "source": f"urn:sgbus:party:{env.sender}",
        "type": TYPE_PREFIX + record.event_type,
        "subject": env.case_key,
        "time": env.occurred_at.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "dataschema": f"urn:sgbus:schema:{record.event_type}",
        "data": json.loads(record.event.model_dump_json()),
    }
    if record.traceparent:
        out["traceparent"] = record.traceparent
    return out


def body_of(record: InboxRecord) -> bytes:
    """The request body for ``record`` (UTF-8 JSON, Chinese kept as is)."""
    return json.dumps(cloud_event(record), ensure_ascii=False, separators=(",", ":")).encode()
