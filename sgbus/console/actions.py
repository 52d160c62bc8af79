"""What an officer's click becomes: events built as the officer's party. Pure: no I/O.

The officer is always the logged-in user (:class:`Officer`), never a form field. Event ids of
answers are derived from the item, the party and the kind of answer, so a double click or a
resent form yields the same event, which the bus and the read model take once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sgbus.bus import actions as bus_actions
from sgbus.bus.claims import build_claim
from sgbus.bus.events import (
    ApprovalResult,
    CaseAssignment,
    Claim,
    ConsultationLetter,
    ConsultationPosition,
    ConsultationReply,
    ContactPerson,
    DisputeRuling,
    Event,
    ItemTransfer,
    LegalBasis,
    LicenceEffect,
    Organisation,
    ResponsibilityDispute,
    SupervisionAction,
    SupervisionActionKind,
    Urging,
    VerificationOutcome,
    VerificationResult,
    VerificationTask,
    new_envelope,
    reply_envelope,
)

_NS = uuid.UUID("9d3c1f52-6a0e-4b8e-8f3a-5c2d7e41b9a0")


class ActionRefused(ValueError):
    """The action does not apply to this item; the message says why, in Chinese."""


@dataclass(frozen=True)
class Officer:
    """The logged-in liaison officer acting for ``party``."""

    username: str
    name: str
    party: str

    def person(self) -> ContactPerson:
        """The officer as the contracts' 经办人."""
        return ContactPerson(name=self.name)


def answer_id(item: Event, party: str, kind: str) -> uuid.UUID:
    """The one event id ``party``'s answer of ``kind`` to ``item`` can have."""
    return uuid.uuid5(_NS, f"{item.envelope.event_id}|{party}|{kind}")


def claim(item: Event, officer: Officer, now: datetime) -> Claim:
    """The officer's claim (签收) of an item their party received."""
    return build_claim(item, officer.party, now, officer=officer.name)


def consultation_reply(
    letter: Event,
    officer: Officer,
    position: ConsultationPosition,
    text: str | None,
    now: datetime,
) -> ConsultationReply:
    """The party's reply to a 函询, before consent would be deemed: 同意, 有条件同意 (with its
    conditions) or 不同意 (with its reason). Built as the CLI and the SDK build it, so the same
    answer from any front end is the same event."""
    if not isinstance(letter, ConsultationLetter):
        raise ActionRefused("只能答复函询")
    if position is ConsultationPosition.UNKNOWN:
        raise ActionRefused("请选择答复意见:同意、有条件同意或不同意")
    if position is not ConsultationPosition.AGREE and not (text or "").strip():
        what = (
            "所附条件" if position is ConsultationPosition.AGREE_WITH_COMMENTS else "不同意的理由"
        )
        raise ActionRefused(f"有条件同意或不同意时须填写答复内容({what})")
    try:
        return bus_actions.build_consultation_reply(
            letter, officer.party, position, text, now, officer=officer.name
        )
    except bus_actions.ActionError:
        raise ActionRefused("答复意见不完整") from None


def verification_result(
    task: Event,
    officer: Officer,
    outcome: VerificationOutcome,
    verified_on: date,
    findings: str,
    follow_up: str | None,
    now: datetime,
) -> VerificationResult:
    """The result of verifying a 告知承诺 commitment (核查结果)."""
    if not isinstance(task, VerificationTask):
        raise ActionRefused("只能对核查任务报送核查结果")
    if not findings.strip():
        raise ActionRefused("须填写核查情况")
    return VerificationResult(
        envelope=reply_envelope(
            task,
            VerificationResult,
            sender=officer.party,
            event_id=answer_id(task, officer.party, "verification"),
            occurred_at=now,
        ),
        task_event_id=task.envelope.event_id,
        outcome=outcome,
        verified_on=verified_on,
        inspectors=[officer.person()],
        findings=findings.strip(),
        follow_up=(follow_up or "").strip() or None,
    )


@dataclass(frozen=True)
class SupervisionForm:
    """What the officer fills in to push supervision information back (监管信息推送)."""

    kind: SupervisionActionKind
    decision_number: str
    decision_date: date
    authority_name: str
    authority_uscc: str
    result: str
    licence_effect: LicenceEffect
    law: str
    article: str


def supervision_action(
    item: Event, officer: Officer, form: SupervisionForm, now: datetime
) -> SupervisionAction:
    """Supervision information about the licensee of an approval result, sent back to the
    bureau that decided it (the case stays the same, so the history shows both)."""
    if not isinstance(item, ApprovalResult):
        raise ActionRefused("只能就审批结果推送监管信息")
    return SupervisionAction(
        envelope=new_envelope(
            SupervisionAction,
            sender=officer.party,
            region=item.envelope.region,
            case_key=item.envelope.case_key,
            recipients=[item.envelope.sender],
            correlation_id=item.envelope.correlation_id,
            causation_id=item.envelope.event_id,
            occurred_at=now,
        ),
        kind=form.kind,
        decision_number=form.decision_number.strip(),
        decision_date=form.decision_date,
        deciding_authority=Organisation(name=form.authority_name, uscc=form.authority_uscc),
        subject=item.licensee,
        licence_number=item.licence_number,
        approval_case_key=item.envelope.case_key,
        result=form.result.strip(),
        licence_effect=form.licence_effect,
        legal_basis=[LegalBasis(law=form.law.strip(), article=form.article.strip())],
    )


def assignment(
    pooled: Event,
    original_value: bytes,
    officer: Officer,
    to: Sequence[str],
    reason: str | None,
    now: datetime,
) -> CaseAssignment:
    """The oversight office's assignment of a pooled approval result to departments."""
    if not isinstance(pooled, ApprovalResult):
        raise ActionRefused("只能指派待指派的审批结果")
    if not to:
        raise ActionRefused("请选择至少一个部门")
    return CaseAssignment(
        envelope=new_envelope(
            CaseAssignment,
            sender=officer.party,
            region=pooled.envelope.region,
            case_key=pooled.envelope.case_key,
            recipients=list(to),
            correlation_id=pooled.envelope.correlation_id,
            causation_id=pooled.envelope.event_id,
            event_id=answer_id(pooled, officer.party, "assign"),
            occurred_at=now,
        ),
        assigned_event_id=pooled.envelope.event_id,
        assigned_event_type="ApprovalResult",
        assigned_to=list(to),
        assigned_by=officer.name,
        original_value=original_value,
        reason=(reason or "").strip() or None,
    )


def _required(text: str, what: str) -> str:
    """``text`` with its whitespace tidied; refused in Chinese when empty."""
    tidy = " ".join(text.split())
    if not tidy:
        raise ActionRefused(f"须填写{what}")
    return tidy


def transfer(item: Event, officer: Officer, to: str, reason: str, now: datetime) -> ItemTransfer:
    """The officer's party passes ``item`` on to department ``to`` (转办), with a reason."""
    if to == officer.party:
        raise ActionRefused("不能转办给本部门")
    why = _required(reason, "转办理由")
    return bus_actions.build_transfer(item, officer.party, to, why, now, officer=officer.name)


def dispute(item: Event, officer: Officer, reason: str, now: datetime) -> ResponsibilityDispute:
    """The officer's party disputes that ``item`` is its responsibility (争议); it goes to the
    oversight office's pool and the party's claim clock stops until a ruling."""
    why = _required(reason, "争议理由")
    return bus_actions.build_dispute(item, officer.party, why, now, officer=officer.name)


def ruling(
    disputed: Event, officer: Officer, assigned_to: str, reason: str, now: datetime
) -> DisputeRuling:
    """The oversight office's ruling (争议裁定): the item goes back to the disputing department
    or to ``assigned_to``. One ruling per dispute: its id is the dispute's and the office's."""
    if not isinstance(disputed, ResponsibilityDispute):
        raise ActionRefused("只能对职责争议作出裁定")
    why = _required(reason, "裁定理由")
    return bus_actions.build_ruling(disputed, officer.party, assigned_to, why, officer.name, now)


@dataclass(frozen=True)
class UrgedItem:
    """The item an urging is about, as the read model lists it."""

    event_id: str
    event_type: str
    party: str
    region: str
    case_key: str
    obligation_id: str | None


def urging(item: UrgedItem, officer: Officer, message: str, form_id: str, now: datetime) -> Urging:
    """The oversight office urges ``item.party`` on an item (督办). Several urgings of one item
    are several events; one form sent twice (``form_id``, fixed when the page was drawn) is
    one, its id derived from the item, the urged party and the form."""
    note = _required(message, "督办意见")
    if item.party == officer.party:
        raise ActionRefused("不能督办本单位")
    event = bus_actions.build_urging(
        oversight=officer.party,
        urged_party=item.party,
        item_event_id=item.event_id,
        item_event_type=item.event_type,
        region=item.region,
        case_key=item.case_key,
        message=note,
        at=now,
        obligation_id=item.obligation_id,
    )
    what = f"urging|{item.party}|{form_id}"
    event_id = bus_actions.action_id(item.event_id, officer.party, what)
    return event.model_copy(
        update={"envelope": event.envelope.model_copy(update={"event_id": event_id})}
    )
