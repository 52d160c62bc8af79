"""Bounded label values for metrics.

A label value that is not from a known, small set would create one time series per value and
could leak a case key or a name into the monitoring system. Every helper in
:mod:`sgbus.monitoring.metrics` passes its label values through these functions, which map
anything unexpected to ``"other"`` instead of echoing it.
"""

from __future__ import annotations

import re

from sgbus.bus.events import EVENT_CLASSES, DeadLetterReason
from sgbus.bus.parties import PARTY_ID_PATTERN
from sgbus.bus.policy.model import Flow

OTHER = "other"

#: Flow ids of the obligation policies (requirements F1–F11).
FLOW_IDS: frozenset[str] = frozenset(f.value for f in Flow)

#: Event types: the contracts' record names (the watchdog's outcomes among them).
EVENT_TYPES: frozenset[str] = frozenset(EVENT_CLASSES)


def reason_label(code: DeadLetterReason) -> str:
    """The label value of a dead-letter reason code: ``SENDER_NOT_OWNER`` → ``sender-not-owner``."""
    return code.value.lower().replace("_", "-")


#: Dead-letter reasons: the contract's ``DeadLetterReason`` codes, in label form.
REASONS: frozenset[str] = frozenset(reason_label(r) for r in DeadLetterReason)

#: Services that expose metrics. Also the ``service`` label and the Prometheus job names.
SERVICES: frozenset[str] = frozenset(
    {"router", "watchdog", "department", "relay", "connector", "demo", "console", "gateway"}
)

_PARTY = re.compile(PARTY_ID_PATTERN)


def party(value: str) -> str:
    """A party id as a label; configured parties are few, so their ids are bounded."""
    return value if _PARTY.fullmatch(value) else OTHER


def flow(value: str) -> str:
    """A flow id as a label."""
    return value if value in FLOW_IDS else OTHER


def event_type(value: str) -> str:
    """An event type (Avro record name or outcome kind) as a label."""
    return value if value in EVENT_TYPES else OTHER


def reason(value: str) -> str:
    """A dead-letter reason as a label; takes the code (``VALIDATION_FAILED``) or its label form."""
    label = value.strip().lower().replace("_", "-")
    return label if label in REASONS else OTHER


def service(value: str) -> str:
    """A service name as a label."""
    return value if value in SERVICES else OTHER


#: What a transient fault came from (:class:`sgbus.runtime.faults.Source`).
FAULT_SOURCES: frozenset[str] = frozenset(
    {"registry", "broker", "database", "relay", "target", "other"}
)


def fault_source(value: str) -> str:
    """The failing component of a transient fault as a label."""
    return value if value in FAULT_SOURCES else OTHER


_CONNECTOR = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


def connector(value: str) -> str:
    """A connector instance name as a label; instances are configured, so they are few."""
    return value if _CONNECTOR.fullmatch(value) else OTHER
