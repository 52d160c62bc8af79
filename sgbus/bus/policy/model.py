"""Deadline policies: per flow, who owes which answer to whom, by when, and what happens then.

A rule reads: a ``request`` event opens an obligation; the ``debtor`` owes the ``creditor`` an
``answer`` event within ``working_days`` counted from the ``anchor``; at expiry ``at_expiry``
happens. Roles are relative to the request: ``sender`` and ``recipient`` are the parties of that
event; ``approval``, ``department`` and ``oversight`` name a party by its function.

When ``request`` and ``answer`` are the same event type, the rule is a timeliness check on
arrival: the event itself is due within the period from a date it carries (e.g. an approval
result pushed 2 working days after the licence decision), so it is late if it arrives after that.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sgbus.bus.calendar import Deadline, WorkingCalendar, default_calendar
from sgbus.bus.events import (
    EVENT_CLASSES,
    ApprovalResult,
    CaseTransferDecision,
    Claim,
    ConsultationReply,
    DisputeRuling,
    Event,
    LicenceChangeDecision,
    MeetingAgenda,
    MeetingMinutes,
    PolicyChangeNotice,
    PolicyChangeReceipt,
    SpecialReviewOpinion,
    SupervisionAction,
    VerificationResult,
    event_type_of,
)
from sgbus.bus.parties import PARTY_ID_PATTERN


class Flow(StrEnum):
    """Stable flow ids, used by the CLI and carried in events."""

    APPROVAL_PUSH = "approval-push"
    CLAIM = "claim"
    SUPERVISION_PUSH = "supervision-push"
    SUPERVISION_CLAIM = "supervision-claim"
    CHANGE_DECISION = "change-decision"
    VERIFICATION_CLAIM = "verification-claim"
    VERIFICATION_RESULT = "verification-result"
    JOINT_OPINION = "joint-opinion"
    LEAD_OPINION = "lead-opinion"
    CONSULTATION_REPLY = "consultation-reply"
    POLICY_NOTICE = "policy-notice"
    TRANSFER_DECISION = "transfer-decision"
    MEETING_AGENDA = "meeting-agenda"
    MEETING_MINUTES = "meeting-minutes"
    DISPUTE_RULING = "dispute-ruling"


def _known_event_type(name: str) -> str:
    """``name`` if it is the record name of an event contract, else a readable error."""
    if name in EVENT_CLASSES:
        return name
    # The value is not echoed (policy files are operator input); the suggestions are ours.
    close = difflib.get_close_matches(name, list(EVENT_CLASSES), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ValueError(f"unknown event type; {hint}event types: {', '.join(sorted(EVENT_CLASSES))}")


#: An event type: the Avro record name of an event contract (see :data:`EVENT_CLASSES`).
EventTypeName = Annotated[str, AfterValidator(_known_event_type)]


class Role(StrEnum):
    """Who owes or is owed, relative to the request event."""

    SENDER = "sender"
    RECIPIENT = "recipient"
    APPROVAL = "approval"
    DEPARTMENT = "department"
    OVERSIGHT = "oversight"


class Anchor(StrEnum):
    """What the period counts from: the request's own time, or a date carried in its payload."""

    REQUEST_TIME = "request-time"
    DECISION_DATE = "decision-date"  # licence / supervision / change decision the event reports
    RECEIVED_DATE = "received-date"  # when the sender received the document it passes on
    STEP_END_DATE = "step-end-date"  # end of a jointly handled technical step
    VERIFICATION_DATE = "verification-date"  # when the on-site verification result was made
    MEETING_DATE = "meeting-date"


class ExpiryAction(StrEnum):
    """What happens when the deadline passes without an answer."""

    AUTO_CLAIM = "auto-claim"  # the platform claims on the debtor's behalf, recorded as such
    DEEMED_CONSENT = "deemed-consent"  # silence counts as consent (安丘 第二十三条)
    BREACH_REPORT = "breach-report"  # a breach is recorded and reported (also to escalate_to)
    ESCALATE = "escalate"  # handed to escalate_to for action


class ClaimingMode(StrEnum):
    """How a department claims (认领) the approval results pushed to it.

    ``explicit``: the department claims within the ``claim`` rule's period, and the watchdog
    holds it to that (安丘 第十八条(一), 聊城). ``on-delivery``: the push is the claim (济南
    推送即认领, 晋城 "推送完成即视为接收"): the router records a Claim of mode ``ON_DELIVERY`` on
    the department's behalf as it delivers, so no claim obligation exists; the obligations
    that follow the claim (verification, feedback) are tracked as always.
    """

    EXPLICIT = "explicit"
    ON_DELIVERY = "on-delivery"


def _names(*classes: type[Event]) -> frozenset[str]:
    return frozenset(event_type_of(cls) for cls in classes)


# Which answers can discharge each flow. Named by class: a typo here fails at import instead of
# silently never matching.
FLOW_ANSWERS: dict[Flow, frozenset[str]] = {
    Flow.APPROVAL_PUSH: _names(ApprovalResult),
    Flow.CLAIM: _names(Claim),
    Flow.SUPERVISION_PUSH: _names(SupervisionAction),
    Flow.SUPERVISION_CLAIM: _names(Claim),
    Flow.CHANGE_DECISION: _names(LicenceChangeDecision),
    Flow.VERIFICATION_CLAIM: _names(Claim),
    Flow.VERIFICATION_RESULT: _names(VerificationResult),
    Flow.JOINT_OPINION: _names(SpecialReviewOpinion),
    Flow.LEAD_OPINION: _names(SpecialReviewOpinion),
    Flow.CONSULTATION_REPLY: _names(ConsultationReply),
    Flow.POLICY_NOTICE: _names(PolicyChangeNotice, PolicyChangeReceipt),
    Flow.TRANSFER_DECISION: _names(CaseTransferDecision),
    Flow.MEETING_AGENDA: _names(MeetingAgenda),
    Flow.MEETING_MINUTES: _names(MeetingMinutes),
    Flow.DISPUTE_RULING: _names(DisputeRuling),
}

_CLAIM = event_type_of(Claim)

_FLOW_IDS = frozenset(f.value for f in Flow)


class UnknownFlow(KeyError):
    """A flow id that is not known, or has no rule in the policy asked."""

    def __str__(self) -> str:
        return str(self.args[0])


class Rule(BaseModel):
    """One flow's obligation; see the module doc for how to read it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    flow: Flow
    request: EventTypeName
    answer: EventTypeName
    anchor: Anchor = Anchor.REQUEST_TIME
    match: dict[str, str] = Field(
        default_factory=dict,
        description="payload fields that must have these values for the rule to apply",
    )
    debtor: Role
    creditor: Role
    working_days: int | None = Field(default=None, ge=0, le=250)
    before: bool = False
    promptly_default: bool = False
    remind_before_working_days: int | None = Field(default=None, ge=1, le=60)
    at_expiry: ExpiryAction
    escalate_to: Role | None = None
    escalate_to_party: str | None = Field(
        default=None,
        pattern=PARTY_ID_PATTERN,
        description="a party id to escalate to instead of a role, e.g. the 机构编制部门",
    )
    source: str = Field(
        min_length=3,
        description="document title and article, e.g. '《安丘市…实施办法》第十八条(一)'",
    )
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_period()
        self._check_events()
        escalates = self.escalate_to is not None or self.escalate_to_party is not None
        if self.at_expiry is ExpiryAction.ESCALATE and not escalates:
            raise ValueError(
                "at_expiry 'escalate' needs escalate_to (e.g. oversight) or escalate_to_party"
            )
        if self.escalate_to is not None and self.escalate_to_party is not None:
            raise ValueError("give escalate_to or escalate_to_party, not both")
        if self.at_expiry is ExpiryAction.AUTO_CLAIM and self.answer != _CLAIM:
            raise ValueError("at_expiry 'auto-claim' is only for rules answered by a Claim")
        if self.debtor == self.creditor:
            raise ValueError("debtor and creditor must differ")
        return self

    def _check_period(self) -> None:
        if self.promptly_default == (self.working_days is not None):
            raise ValueError(
                "give working_days, or promptly_default: true to use the policy's"
                " promptly_working_days (for a source that says only 及时)"
            )
        if self.before and self.anchor is Anchor.REQUEST_TIME:
            raise ValueError("before: true needs an anchor date in the future, e.g. meeting-date")
        remind, days = self.remind_before_working_days, self.working_days
        if remind is not None and days is not None and remind >= days:
            raise ValueError("remind_before_working_days must be less than working_days")

    def _check_events(self) -> None:
        allowed = FLOW_ANSWERS[self.flow]
        if self.answer not in allowed:
            names = ", ".join(sorted(allowed))
            raise ValueError(f"flow {self.flow} is answered by {names}, not {self.answer}")
        if self.request == self.answer and self.anchor is Anchor.REQUEST_TIME:
            raise ValueError(
                "a rule whose request is its own answer checks timeliness and needs an anchor"
                " date from the payload (e.g. decision-date)"
            )

    def days(self, promptly_working_days: int) -> int:
        """The period in working days, filling in the operator default for 及时."""
        return self.working_days if self.working_days is not None else promptly_working_days


#: Rules a policy has unless it gives its own. The seed texts set no period for the oversight
#: office to decide a dispute of responsibility (争议); 济南's 2023 协同联动规定 has the parties
#: negotiate, then the 机构编制部门 decide. The bus gives the office 3 working days, then
#: escalates (to the office itself unless a policy's own rule names a party).
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        flow=Flow.DISPUTE_RULING,
        request="ResponsibilityDispute",
        answer="DisputeRuling",
        debtor=Role.OVERSIGHT,
        creditor=Role.SENDER,
        working_days=3,
        at_expiry=ExpiryAction.ESCALATE,
        escalate_to=Role.OVERSIGHT,
        source="sgbus default (济南 2023 协同联动规定 职责争议)",
        note="operator default: a dispute-ruling rule of the policy changes the period or names"
        " escalate_to_party",
    ),
)


class Policy(BaseModel):
    """A named set of rules, at most one per flow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=PARTY_ID_PATTERN)
    title: str = Field(min_length=1)
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    source: str = Field(min_length=3)
    promptly_working_days: int = Field(
        default=3, ge=1, le=60, description="operator default where the source says only 及时"
    )
    lenient_consultation_answers: bool = Field(
        default=False,
        description=(
            "count a consultation answer other than 同意/有条件同意/不同意, or a 不同意 without a"
            " reason, as consent; otherwise such an answer does not answer the letter"
        ),
    )
    claim_mode: ClaimingMode = Field(
        default=ClaimingMode.EXPLICIT,
        description=(
            "explicit: departments claim approval results within the claim rule's period;"
            " on-delivery: delivery to the department's inbox is the claim (推送即认领), recorded"
            " by the router as a Claim of mode ON_DELIVERY, and the policy has no claim rule"
        ),
    )
    claim_mode_source: str | None = Field(
        default=None,
        min_length=3,
        description="document title and article that makes the push the claim (on-delivery)",
    )
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _claim_mode_consistent(self) -> Self:
        if self.claim_mode is ClaimingMode.EXPLICIT:
            if self.claim_mode_source is not None:
                raise ValueError("claim_mode_source is only for claim_mode: on-delivery")
            return self
        if self.claim_mode_source is None:
            raise ValueError(
                "claim_mode: on-delivery needs claim_mode_source (the document and article"
                " that counts the push as the claim)"
            )
        if any(rule.flow is Flow.CLAIM for rule in self.rules):
            raise ValueError(
                "claim_mode: on-delivery makes the push the claim, so there is nothing to claim"
                " later: remove the 'claim' rule"
            )
        return self

    @property
    def claims_on_delivery(self) -> bool:
        """Whether delivering an approval result to a department is its claim."""
        return self.claim_mode is ClaimingMode.ON_DELIVERY

    @model_validator(mode="after")
    def _one_rule_per_flow(self) -> Self:
        seen: set[Flow] = set()
        for rule in self.rules:
            if rule.flow in seen:
                raise ValueError(f"flow {rule.flow} has more than one rule")
            seen.add(rule.flow)
            remind = rule.remind_before_working_days
            if remind is not None and remind >= rule.days(self.promptly_working_days):
                raise ValueError(
                    f"flow {rule.flow}: remind_before_working_days must be less than the period"
                )
        return self

    # A cached_property lives in the instance __dict__: far cheaper to read per event than a
    # pydantic private attribute.
    @cached_property
    def effective_rules(self) -> list[Rule]:
        """The policy's rules, then the :data:`DEFAULT_RULES` of flows it has no rule for."""
        own = {rule.flow for rule in self.rules}
        return [*self.rules, *(r for r in DEFAULT_RULES if r.flow not in own)]

    @cached_property
    def rules_by_flow(self) -> dict[str, Rule]:
        """Rules indexed by flow id (defaults included)."""
        return {rule.flow.value: rule for rule in self.effective_rules}

    @property
    def flows(self) -> list[Flow]:
        """Flows this policy has rules for, in file order."""
        return [rule.flow for rule in self.rules]

    def rule(self, flow: str) -> Rule:
        """The rule for ``flow``; unknown or absent flows raise :class:`UnknownFlow`."""
        found = self.rules_by_flow.get(flow)
        if found is not None:
            return found
        if flow not in _FLOW_IDS:
            known = ", ".join(f.value for f in Flow)
            raise UnknownFlow(f"unknown flow {flow!r}; known flows: {known}")
        have = ", ".join(f.value for f in self.flows)
        raise UnknownFlow(f"policy {self.name!r} has no rule for flow {flow!r}; it has: {have}")

    def working_days(self, flow: str) -> int:
        """The period of ``flow`` in working days."""
        return self.rule(flow).days(self.promptly_working_days)

    def deadline(
        self, flow: str, anchor_at: datetime, calendar: WorkingCalendar | None = None
    ) -> Deadline:
        """When the answer of ``flow`` is due for a request anchored at ``anchor_at``."""
        rule = self.rule(flow)
        cal = calendar or default_calendar()
        days = rule.days(self.promptly_working_days)
        return (
            cal.deadline_before(anchor_at, days) if rule.before else cal.deadline(anchor_at, days)
        )

    def reminder(
        self, flow: str, anchor_at: datetime, calendar: WorkingCalendar | None = None
    ) -> Deadline | None:
        """When to remind the debtor, ``remind_before_working_days`` ahead of the deadline."""
        rule = self.rule(flow)
        if rule.remind_before_working_days is None:
            return None
        cal = calendar or default_calendar()
        days = rule.days(self.promptly_working_days)
        if rule.before:
            return cal.deadline_before(anchor_at, days + rule.remind_before_working_days)
        return cal.deadline(anchor_at, days - rule.remind_before_working_days)

    def with_promptly_default(self, working_days: int) -> Policy:
        """A copy using ``working_days`` wherever the source says only 及时."""
        return Policy.model_validate({**self.model_dump(), "promptly_working_days": working_days})
