"""The AsyncAPI 3.0 document of the bus: channels from the topic design, messages from schemas."""

from __future__ import annotations

from typing import Any

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.contracts.walk import field_paths
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, PARTY_ID_PATTERN

AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
CONTENT_TYPE = "application/vnd.apache.avro"
_PARTY_PARAM = {
    "party": {
        "description": f"Party id (regular expression {PARTY_ID_PATTERN}): the approval bureau, a"
        " department, the oversight office or the watchdog."
    }
}
_HEADERS = {
    "type": "object",
    "properties": {
        "traceparent": {"type": "string", "description": "W3C trace context of the event."},
        "sgbus-event-id": {"type": "string", "description": "The envelope's event id."},
        "sgbus-event-type": {"type": "string", "description": "The envelope's event type."},
    },
}


def _message(schema_set: SchemaSet, name: str) -> dict[str, Any]:
    named = schema_set.get(name)
    schema = schema_set.expand(name)
    doc = str(named.definition.get("doc", ""))
    pii = [path for path, fld in field_paths(schema) if fld.get("pii") is True]
    description = doc
    if pii:
        description += "\n\nPersonal data (masked in logs): " + ", ".join(pii) + "."
    return {
        "name": name,
        "title": doc.split(" — ", 1)[0],
        "summary": doc.split(" — ", 1)[-1].split(". ")[0].rstrip("."),
        "description": description,
        "contentType": CONTENT_TYPE,
        "headers": _HEADERS,
        "payload": {"schemaFormat": AVRO_FORMAT, "schema": schema},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The envelope's case key."},
                "schemaIdLocation": "payload",
                "bindingVersion": "0.5.0",
            }
        },
        "x-sgbus-subject": named.fullname,
        "x-sgbus-schema-version": schema_set.version(name),
    }


def _refs(names: list[str]) -> dict[str, Any]:
    return {n: {"$ref": f"#/components/messages/{n}"} for n in names}


def _op(action: str, channel: str, names: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in names],
    }


def build_document(schema_set: SchemaSet, version: str, bootstrap: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a plain dict (dump it as YAML or JSON)."""
    events = schema_set.event_names
    # The router writes these itself: dead letters to their topic, rejection notices to the
    # refused sender's inbox; no party publishes them and the audit log does not keep them.
    router_own = {"DeadLetter", "RejectionNotice"}
    routed = [n for n in events if n not in router_own]
    inbound = [*routed, "RejectionNotice"] if "RejectionNotice" in events else routed
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "sgbus 审管联动 event bus",
            "version": version,
            "description": "Events between licence approval bureaus and supervision departments."
            " Each party writes only its outbox and reads only its inbox; the router copies every"
            " accepted event to the recipients' inboxes and to the audit log, and what it cannot"
            " accept to the dead-letter topic. Values are Avro, framed in the Confluent wire format"
            " (subjects by record name) or, without a registry, Avro single-object encoding.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": bootstrap,
                "protocol": "kafka",
                "description": "The local single-node stack that `sgbus` provisions.",
            }
        },
        "channels": {
            "outbox": {
                "address": "sg.{party}.outbox",
                "title": "Outbox of a party",
                "description": "Only {party} may write here; the router reads it.",
                "parameters": _PARTY_PARAM,
                "messages": _refs(routed),
            },
            "inbox": {
                "address": "sg.{party}.inbox",
                "title": "Inbox of a party",
                "description": "Only {party} may read here; the router writes it, including"
                " a RejectionNotice for each record of {party}'s it refused.",
                "parameters": _PARTY_PARAM,
                "messages": _refs(inbound),
            },
            "audit": {
                "address": AUDIT_TOPIC,
                "title": "Audit log",
                "description": "Every accepted event, in order; the watchdog reads it.",
                "messages": _refs(routed),
            },
            "deadletter": {
                "address": DEAD_LETTER_TOPIC,
                "title": "Dead letters",
                "description": "What the bus refused, with the reason.",
                "messages": _refs(["DeadLetter"]),
            },
        },
        "operations": {
            "publishToOutbox": _op("send", "outbox", routed, "A party publishes an event."),
            "receiveFromInbox": _op("receive", "inbox", inbound, "A party receives its events."),
            "readAudit": _op("receive", "audit", routed, "Auditors and the watchdog read all."),
            "readDeadLetters": _op("receive", "deadletter", ["DeadLetter"], "Operators."),
        },
        "components": {"messages": {n: _message(schema_set, n) for n in events}},
    }
