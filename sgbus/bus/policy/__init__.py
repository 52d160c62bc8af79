"""Deadline policies per flow, the five seed-city presets, and operator policy files."""

from __future__ import annotations

from sgbus.bus.policy.loader import (
    PRESETS,
    UnknownPolicy,
    load_policy,
    load_policy_file,
    load_preset,
    parse_policy,
)
from sgbus.bus.policy.model import (
    FLOW_ANSWERS,
    Anchor,
    ClaimingMode,
    EventTypeName,
    ExpiryAction,
    Flow,
    Policy,
    Role,
    Rule,
    UnknownFlow,
)

__all__ = [
    "FLOW_ANSWERS",
    "PRESETS",
    "Anchor",
    "ClaimingMode",
    "EventTypeName",
    "ExpiryAction",
    "Flow",
    "Policy",
    "Role",
    "Rule",
    "UnknownFlow",
    "UnknownPolicy",
    "load_policy",
    "load_policy_file",
    "load_preset",
    "parse_policy",
]
