"""Rules across fields of one record or event, which a schema cannot express."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from sgbus.bus.events import approval_case_key

Problem = tuple[str, str]  # (path relative to the record, message)
RecordRule = Callable[[dict[str, Any]], Iterator[Problem]]

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")


def _order(data: dict[str, Any], first: str, last: str, what: str) -> Iterator[Problem]:
    start, end = data.get(first), data.get(last)
    if start is not None and end is not None and end < start:
        yield last, f"{what} ends before it starts ({last} < {first})"


def _licensee(d: dict[str, Any]) -> Iterator[Problem]:
    kind = str(d.get("kind"))
    if kind in ("LEGAL_PERSON", "INDIVIDUAL_BUSINESS") and not d.get("uscc"):
        yield "uscc", "a legal person or individual business needs its unified social credit code"
    if kind == "NATURAL_PERSON" and not d.get("id_number"):
        yield "id_number", "a natural person needs an identity document number"


def _local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(SHANGHAI).date()


def _envelope(event_type: str) -> RecordRule:
    def rule(d: dict[str, Any]) -> Iterator[Problem]:
        env = d["envelope"]
        if env["event_type"] != event_type:
            yield "envelope.event_type", f"is {env['event_type']!r}, the record is {event_type}"
        if env.get("recipients") == []:
            yield "envelope.recipients", "is an empty list; use null to let the catalogue decide"
        if env.get("causation_id") is not None and env["causation_id"] == env["event_id"]:
            yield "envelope.causation_id", "an event cannot answer itself"
        if env["schema_version"] < 1:
            yield "envelope.schema_version", "must be at least 1"

    return rule


def _approval_result(d: dict[str, Any]) -> Iterator[Problem]:
    yield from _order(d, "valid_from", "valid_until", "validity")
    env = d["envelope"]
    if d["document_number"].strip():
        expected = approval_case_key(env["region"], d["document_number"])
        if env["case_key"] != expected:
            yield "envelope.case_key", f"must be region:document number, i.e. {expected!r}"


def _not_after_occurrence(d: dict[str, Any], day_field: str) -> Iterator[Problem]:
    day = d.get(day_field)
    if day is not None and day > _local_day(d["envelope"]["occurred_at"]):
        yield day_field, "is later than the event itself (envelope.occurred_at)"


def _supervision_action(d: dict[str, Any]) -> Iterator[Problem]:
    yield from _order(d, "effective_from", "effective_until", "the measure")
    yield from _not_after_occurrence(d, "decision_date")


def _change_decision(d: dict[str, Any]) -> Iterator[Problem]:
    notified_on = d.get("licensee_notified_on")
    if notified_on is not None and not d.get("licensee_notified"):
        yield "licensee_notified", "must be true when licensee_notified_on is given"
    yield from _order(d, "decision_date", "licensee_notified_on", "notification")
    yield from _not_after_occurrence(d, "decision_date")


def _verification_result(d: dict[str, Any]) -> Iterator[Problem]:
    if str(d["outcome"]) == "FALSE_COMMITMENT" and not (d.get("follow_up") or "").strip():
        yield (
            "follow_up",
            "a false commitment needs its follow-up (revocation, penalty, rectification)",
        )
    yield from _not_after_occurrence(d, "verified_on")


def _consultation_reply(d: dict[str, Any]) -> Iterator[Problem]:
    position = str(d["position"])
    if d.get("deemed"):
        if position != "AGREE":
            yield "position", "deemed consent must be AGREE"
    elif position == "AGREE_WITH_COMMENTS" and not (d.get("reply") or "").strip():
        yield "reply", "有条件同意 (AGREE_WITH_COMMENTS) needs its conditions"
    # 同意 needs no text. A 不同意 without its reason (or another answer) is let through: the
    # watchdog's policy switch lenient_consultation_answers judges it, as several platforms
    # send such answers; sgbus's own builders refuse to make one.


#: Claims made by a system, not by a person: the watchdog at expiry, the router on delivery.
_NO_OFFICER = frozenset({"AUTOMATIC", "ON_DELIVERY"})


def _claim(d: dict[str, Any]) -> Iterator[Problem]:
    if str(d["mode"]) in _NO_OFFICER and d.get("officer") is not None:
        yield "officer", f"a claim of mode {d['mode']} has no officer"


def _transfer_decision(d: dict[str, Any]) -> Iterator[Problem]:
    if d.get("case_filed") and str(d["acceptance"]) != "ACCEPTED":
        yield "case_filed", "a case can only be filed for an accepted transfer"
    if d.get("case_filed") and not d.get("case_number"):
        yield "case_number", "a filed case needs its number"


def _obligation(d: dict[str, Any]) -> Iterator[Problem]:
    if d["due_at"] <= d["opened_at"]:
        yield "due_at", "must be after opened_at"


def _meeting_agenda(d: dict[str, Any]) -> Iterator[Problem]:
    if d["convener"] in d["invitees"]:
        yield "invitees", "lists the convener"


RECORD_RULES: dict[str, RecordRule] = {
    "Licensee": _licensee,
    "ObligationRef": _obligation,
}
EVENT_RULES: dict[str, RecordRule] = {
    "ApprovalResult": _approval_result,
    "SupervisionAction": _supervision_action,
    "LicenceChangeDecision": _change_decision,
    "VerificationResult": _verification_result,
    "ConsultationReply": _consultation_reply,
    "Claim": _claim,
    "CaseTransferDecision": _transfer_decision,
    "MeetingAgenda": _meeting_agenda,
    "StatusReport": lambda d: _order(d, "period_start", "period_end", "the period"),
    "SpecialReviewRequest": lambda d: _order(d, "scheduled_on", "opinion_due_on", "the request"),
}
