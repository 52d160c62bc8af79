"""From one audit record to the obligations it opens and the answers it gives. Pure.

An audit record is an event the router accepted, with the parties it delivered it to. For
each policy rule whose ``request`` is the event's type (and whose ``match`` fields agree), one
:class:`Opening` per debtor; for each rule whose ``answer`` it is, one :class:`Answer` naming
the request it answers. A rule whose request is its own answer (a timeliness check on
arrival) gives both at once, so the obligation is opened and answered by the same event: on
time, discharged; late, breached.

Roles become party ids: ``sender`` is the envelope's sender; ``recipient`` the parties the
router delivered to (the envelope's recipients if the record does not say); ``approval`` and
``oversight`` the catalogue's approval bureau and oversight office; ``department`` the
catalogue's supervisors of the event's matter, else the delivered-to departments. A party of
the unassigned pool owes nothing: nobody is responsible until the operator routes the event.

Times: the period counts from the rule's anchor (a payload date, see
:mod:`sgbus.bus.obligations.fields`), or from the envelope's ``occurred_at`` when the anchor is
the request time or the payload lacks the date. An answer is made at its ``occurred_at``.
``opened_at`` is the anchor instant, except for periods counted backwards (an agenda due
before a meeting), which open when the request occurred.

Sender clocks: ``occurred_at`` is the sender's word, the audit record's timestamp the bus's
(``appended_at``, when the router wrote it). With a ``skew_tolerance``, an event whose
``occurred_at`` lies further than the tolerance from ``appended_at`` — *either way* — is timed
at ``appended_at`` (:func:`event_time`). Ahead of it, a sender's clock would post-date what
it sent; behind it, a department answering late could backdate its claim into the period, or
a request could be backdated to shorten the debtor's. An event cannot have occurred after the
bus accepted it, and one that reached the bus long after it says it occurred is taken as
having occurred when it arrived. Payload dates (a decision date) are business facts and are
not adjusted.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from sgbus.bus.calendar import OutOfCalendar, WorkingCalendar
from sgbus.bus.catalogue import Catalogue, PartyKind
from sgbus.bus.events import EVENT_CLASSES, ConsultationReply, Event, event_type_of
from sgbus.bus.obligations.actions import ItemAction, Verdict, consultation_verdict, item_action
from sgbus.bus.obligations.fields import (
    anchor_field,
    anchor_instant,
    answered_request_id,
    matches,
    normalise_symbol,
)
from sgbus.bus.obligations.model import Answer, Opening
from sgbus.bus.policy import Anchor, Policy, Role, Rule


@dataclass(frozen=True)
class AuditRecord:
    """A decoded audit-log event and what the router did with it."""

    event: Event
    delivered_to: tuple[str, ...] = ()
    unassigned: bool = False
    appended_at: datetime | None = None
    """When the audit record was written (its Kafka timestamp); None when unknown."""


def event_time(
    occurred_at: datetime, appended_at: datetime | None, tolerance: timedelta | None
) -> datetime:
    """The instant an event counts at: its ``occurred_at``, or ``appended_at`` when the two lie
    more than ``tolerance`` apart in either direction (see the module doc). Without an append
    time or a tolerance, ``occurred_at``."""
    if appended_at is None or tolerance is None:
        return occurred_at
    if abs(occurred_at - appended_at) > tolerance:
        return appended_at
    return occurred_at


@dataclass(frozen=True)
class Ingested:
    """What one audit record means for the obligations."""

    openings: list[Opening] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    actions: list[ItemAction] = field(default_factory=list)
    """Officers' actions on obligations already held (transfer, dispute, ruling, urging)."""
    skipped: list[str] = field(default_factory=list)
    """Why a rule that applied to the event opened or answered nothing (never personal data)."""


class Ingestor:
    """Applies one policy, calendar and catalogue to audit records."""

    def __init__(
        self,
        policy: Policy,
        calendar: WorkingCalendar,
        catalogue: Catalogue,
        skew_tolerance: timedelta | None = None,
    ) -> None:
        self.policy = policy
        self.calendar = calendar
        self.catalogue = catalogue
        self.skew_tolerance = skew_tolerance
        """How far ``occurred_at`` may lie from the append time (:func:`event_time`)."""
        self._requests: dict[str, list[Rule]] = {}
        self._answers: dict[str, list[Rule]] = {}
        for rule in policy.effective_rules:
            self._requests.setdefault(rule.request, []).append(rule)
            if rule.answer != rule.request:
                self._answers.setdefault(rule.answer, []).append(rule)

    def ingest(self, record: AuditRecord) -> Ingested:
        """The openings and answers of ``record``."""
        etype = event_type_of(record.event)
        out = Ingested()
        for rule in self._requests.get(etype, ()):
            if matches(record.event, rule.match):
                self._open(rule, etype, record, out)
        for rule in self._answers.get(etype, ()):
            self._answer(rule, etype, record, out)
        action = item_action(record.event, self._time_of(record))
        if action is not None:
            out.actions.append(action)
        return out

    def with_calendar(self, calendar: WorkingCalendar) -> Ingestor:
        """The same ingestor counting on another calendar (after an override reload)."""
        return Ingestor(self.policy, calendar, self.catalogue, self.skew_tolerance)

    def policy_for(self, region: str) -> Policy | None:
        """The policy events of ``region`` follow: this ingestor's, for every region."""
        return self.policy

    def calendar_for(self, region: str) -> WorkingCalendar:
        """The calendar events of ``region`` count on: this ingestor's, for every region."""
        return self.calendar

    def rules_of(self, region: str) -> tuple[Policy, WorkingCalendar] | None:
        """The policy and calendar obligations of ``region`` follow: this ingestor's."""
        return self.policy, self.calendar

    @property
    def policy_names(self) -> str:
        """The policy's name (a regional ingestor names every region's)."""
        return self.policy.name

    def _time_of(self, record: AuditRecord) -> datetime:
        env = record.event.envelope
        return event_time(env.occurred_at, record.appended_at, self.skew_tolerance)

    # -- requests -------------------------------------------------------------------------

    def _open(self, rule: Rule, etype: str, record: AuditRecord, out: Ingested) -> None:
        env = record.event.envelope
        flow = rule.flow.value
        debtors = self._parties(rule.debtor, record, debtor=True)
        creditors = self._parties(rule.creditor, record, debtor=False)
        if not debtors or not creditors:
            out.skipped.append(f"{flow}: no {'debtor' if not debtors else 'creditor'} party")
            return
        escalate = self._escalation(rule, record)
        occurred_at = self._time_of(record)
        anchor_at = anchor_instant(record.event, etype, rule.anchor) or occurred_at
        try:
            due = self.policy.deadline(flow, anchor_at, self.calendar)
            remind = self.policy.reminder(flow, anchor_at, self.calendar)
        except OutOfCalendar as exc:
            out.skipped.append(f"{flow}: {exc}")
            return
        request_id = str(env.event_id)
        for debtor in debtors:
            creditor = next((c for c in creditors if c != debtor), None)
            if creditor is None:
                out.skipped.append(f"{flow}: debtor is its own creditor")
                continue
            opening = Opening(
                flow=flow,
                request_event_id=request_id,
                request_event_type=etype,
                debtor=debtor,
                creditor=creditor,
                case_key=env.case_key,
                region=env.region,
                opened_at=occurred_at if rule.before else anchor_at,
                due_at=due.due_at,
                remind_at=remind.due_at if remind else None,
                provisional=due.provisional or bool(remind and remind.provisional),
                action=rule.at_expiry,
                escalate_to=escalate[0] if escalate else None,
                source=rule.source,
                anchor_at=anchor_at,
            )
            out.openings.append(opening)
            if rule.request == rule.answer:
                out.answers.append(Answer(flow, request_id, debtor, request_id, occurred_at))

    def _escalation(self, rule: Rule, record: AuditRecord) -> tuple[str, ...]:
        if rule.escalate_to_party is not None:
            return (rule.escalate_to_party,)
        if rule.escalate_to is None:
            return ()
        return self._parties(rule.escalate_to, record, debtor=False)

    def _parties(self, role: Role | None, record: AuditRecord, *, debtor: bool) -> tuple[str, ...]:
        env = record.event.envelope
        if role is None:
            return ()
        if role is Role.SENDER:
            return (env.sender,)
        if role is Role.RECIPIENT:
            if record.unassigned and debtor:
                return ()
            return record.delivered_to or tuple(env.recipients or ())
        if role is Role.APPROVAL:
            return (self.catalogue.approval,) if self.catalogue.approval else ()
        if role is Role.OVERSIGHT:
            return (self.catalogue.oversight,) if self.catalogue.oversight else ()
        return self._departments(record)

    def _departments(self, record: AuditRecord) -> tuple[str, ...]:
        matter = getattr(record.event, "matter", None)
        code = getattr(matter, "code", None)
        if isinstance(code, str) and code in self.catalogue.matters_by_code:
            region = record.event.envelope.region
            return tuple(p.id for p in self.catalogue.supervisors_of(code, region))
        parties = self.catalogue.parties_by_id
        return tuple(
            p
            for p in record.delivered_to
            if p in parties and parties[p].kind is PartyKind.DEPARTMENT
        )

    # -- answers --------------------------------------------------------------------------

    def _answer(self, rule: Rule, etype: str, record: AuditRecord, out: Ingested) -> None:
        event = record.event
        claimed_type = getattr(event, "claimed_event_type", None)
        if isinstance(claimed_type, str) and claimed_type.rsplit(".", 1)[-1] != rule.request:
            return  # a claim of another kind of request
        if not matches(event, rule.match, missing_ok=True):
            return
        if isinstance(event, ConsultationReply) and not event.deemed:
            lenient = self.policy.lenient_consultation_answers
            if consultation_verdict(event, lenient) is Verdict.NOT_AN_ANSWER:
                out.skipped.append(
                    f"{rule.flow.value}: reply is not 同意/有条件同意/不同意 with a reason"
                )
                return
        request_id = answered_request_id(event, etype)
        if request_id is None:
            out.skipped.append(f"{rule.flow.value}: {etype} names no request it answers")
            return
        env = event.envelope
        out.answers.append(
            Answer(
                rule.flow.value, request_id, env.sender, str(env.event_id), self._time_of(record)
            )
        )


def ingest(
    record: AuditRecord, policy: Policy, calendar: WorkingCalendar, catalogue: Catalogue
) -> Ingested:
    """The openings and answers of one audit record (see the module doc)."""
    return Ingestor(policy, calendar, catalogue).ingest(record)


def policy_problems(policy: Policy, catalogue: Catalogue) -> list[str]:
    """What in ``policy`` the watchdog could not apply with ``catalogue``; empty when all is well.

    Checked once at start-up, so that a rule whose anchor, match field or role the events or
    the catalogue cannot supply fails loudly instead of silently never opening anything.
    """
    problems: list[str] = []
    for rule in policy.rules:
        where = f"policy {policy.name!r} flow {rule.flow.value}"
        request = rule.request
        if rule.anchor is not Anchor.REQUEST_TIME and anchor_field(request, rule.anchor) is None:
            problems.append(f"{where}: {request} carries no {rule.anchor.value}")
        problems += [f"{where}: {p}" for p in _match_problems(request, rule.match)]
        party = rule.escalate_to_party
        if party is not None and party not in catalogue.parties_by_id:
            problems.append(
                f"{where}: escalate_to_party {party!r} is not in catalogue {catalogue.name!r}"
            )
        for role in (rule.debtor, rule.creditor, rule.escalate_to):
            if role in (Role.APPROVAL, Role.OVERSIGHT) and not getattr(catalogue, role.value):
                problems.append(
                    f"{where}: role {role.value} needs an {role.value} party in catalogue"
                    f" {catalogue.name!r}"
                )
    return problems


def _match_problems(event_type: str, match: dict[str, str]) -> list[str]:
    fields = EVENT_CLASSES[event_type].model_fields
    problems = []
    for name, wanted in match.items():
        if name not in fields:
            problems.append(f"match field {name!r} is not a field of {event_type}")
            continue
        symbols = _symbols(fields[name].annotation)
        if symbols and normalise_symbol(wanted) not in symbols:
            problems.append(f"match {name}: {wanted!r} is not one of {', '.join(sorted(symbols))}")
    return problems


def _symbols(annotation: object) -> set[str]:
    candidates: Sequence[object] = typing.get_args(annotation) or (annotation,)
    for c in candidates:
        if isinstance(c, type) and issubclass(c, Enum):
            return {normalise_symbol(m) for m in c if m.value != "UNKNOWN"}
    return set()
