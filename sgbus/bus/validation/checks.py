"""Field checks named by the ``check`` attribute of a schema field."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sgbus.bus.parties import PARTY_ID_PATTERN
from sgbus.bus.validation.codes import (
    division_code_problem,
    media_type_problem,
    phone_problem,
    resident_id_problem,
    sha256_problem,
    uri_problem,
    uscc_problem,
    web_url_problem,
)

FLOW_IDS = frozenset(
    {
        "approval-push",
        "claim",
        "supervision-push",
        "supervision-claim",
        "change-decision",
        "verification-claim",
        "verification-result",
        "joint-opinion",
        "lead-opinion",
        "consultation-reply",
        "policy-notice",
        "transfer-decision",
        "meeting-agenda",
        "meeting-minutes",
        "dispute-ruling",
    }
)
"""Flow ids the watchdog's policies use (``ObligationRef.flow``)."""

_PARTY = re.compile(PARTY_ID_PATTERN)
_CASE_KEY = re.compile(r"^\d{6}:\S(.*\S)?$")

Check = Callable[[Any, dict[str, Any], dict[str, Any]], str | None]
"""(value, field definition, parent record) -> problem or None."""


def _nonblank(value: Any, fld: dict[str, Any], parent: dict[str, Any]) -> str | None:
    return "must not be blank" if isinstance(value, str) and not value.strip() else None


def _nonempty(value: Any, fld: dict[str, Any], parent: dict[str, Any]) -> str | None:
    if isinstance(value, list):
        if not value:
            return "must have at least one item"
        if all(isinstance(v, str) for v in value) and any(not v.strip() for v in value):
            return "items must not be blank"
    return None


def _party(value: Any, fld: dict[str, Any], parent: dict[str, Any]) -> str | None:
    items = value if isinstance(value, list) else [value]
    bad = [v for v in items if not _PARTY.fullmatch(v)]
    if bad:
        return f"{bad[0]!r} is not a party id (a-z, 0-9, '-', 2-48 characters)"
    return None


def _case_key(value: Any, fld: dict[str, Any], parent: dict[str, Any]) -> str | None:
    items = value if isinstance(value, list) else [value]
    for v in items:
        if not _CASE_KEY.fullmatch(v) or division_code_problem(v[:6]):
            return "must be '<6-digit region>:<document number>', e.g. 371000:威审批〔2026〕12号"
    return None


def _id_number(value: Any, fld: dict[str, Any], parent: dict[str, Any]) -> str | None:
    type_field = fld["name"].removesuffix("number") + "type"
    id_type = parent.get(type_field)
    if id_type is None:
        return f"is given without {type_field}"
    if str(id_type) == "RESIDENT_ID":
        problem = resident_id_problem(value)
        return f"is not a valid resident ID number: {problem}" if problem else None
    return "must not be blank" if not value.strip() else None


def _event_type_name(value: Any, fld: dict[str, Any], parent: dict[str, Any]) -> str | None:
    from sgbus.bus.events import EVENT_CLASSES

    return None if value in EVENT_CLASSES else f"{value!r} is not an event type"


def _simple(fn: Callable[[str], str | None]) -> Check:
    return lambda value, fld, parent: fn(value)


CHECKS: dict[str, Check] = {
    "nonblank": _nonblank,
    "nonempty": _nonempty,
    "party": _party,
    "case_key": _case_key,
    "id_number": _id_number,
    "event_type": _nonblank,  # equality with the record name is an event rule
    "event_type_name": _event_type_name,
    "uscc": _simple(uscc_problem),
    "division_code": _simple(division_code_problem),
    "phone": _simple(phone_problem),
    "sha256": _simple(sha256_problem),
    "media_type": _simple(media_type_problem),
    "uri": _simple(uri_problem),
    "web_url": _simple(web_url_problem),
    "flow": lambda v, f, p: None if v in FLOW_IDS else f"{v!r} is not a known flow id",
    "non_negative": lambda v, f, p: "must not be negative" if v < 0 else None,
    "positive": lambda v, f, p: "must be at least 1" if v < 1 else None,
}
KNOWN_CHECKS = frozenset(CHECKS)
