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

from sgbus.bus.claims import build_claim
from sgbus.bus.events import (
    ApprovalResult,
    CaseAssignment,
    Claim,
    ConsultationLetter,
    ConsultationPosition,
    ConsultationReply,
    ContactPerson,
    Event,
    LegalBasis,
    LicenceEffect,
    Organisation,
    SupervisionAction,
    SupervisionActionKind,
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
    """The party's reply to a 函询, before consent would be deemed."""
    if not isinstance(letter, ConsultationLetter):
        raise ActionRefused("只能答复函询")
    if position is not ConsultationPosition.AGREE and not (text or "").strip():
        raise ActionRefused("不同意或提出意见时须填写答复内容")
    return ConsultationReply(
        envelope=reply_envelope(
            letter,
            ConsultationReply,
            sender=officer.party,
            event_id=answer_id(letter, officer.party, "reply"),
            occurred_at=now,
        ),
        letter_event_id=letter.envelope.event_id,
        position=position,
        reply=(text or "").strip() or None,
        officer=officer.person(),
    )


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
