"""Obligation records, their states and the outcomes they produce.

An obligation's expiry action is the policy's :class:`~sgbus.bus.policy.ExpiryAction`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from sgbus.bus.policy.model import ExpiryAction as ExpiryAction  # the policy's, re-exported

# Fixed namespace: obligation and outcome ids are derived from what caused them, so every
# watchdog instance (and every replay after a crash) computes the same ids.
_NS = uuid.UUID("6f1d2b1e-5b8a-4c55-9a53-2f0e6c1a9d42")


class State(StrEnum):
    """Life of an obligation. Every state but OPEN and SUSPENDED is final."""

    OPEN = "open"
    DISCHARGED = "discharged"  # answered on time
    BREACHED = "breached"  # deadline passed without an answer
    AUTO_RESOLVED = "auto-resolved"  # the system answered for the debtor (auto-claim, consent)
    SUSPENDED = "suspended"  # clock stopped: the debtor disputes the item (争议), not yet ruled
    TRANSFERRED = "transferred"  # passed on in time (转办, or a ruling): not a breach

    @property
    def final(self) -> bool:
        """Whether nothing can change this state any more."""
        return self not in (State.OPEN, State.SUSPENDED)


class OutcomeKind(StrEnum):
    """Events the watchdog publishes."""

    REMINDER = "ObligationReminder"
    AUTO_CLAIM = "AutoClaim"
    DEEMED_CONSENT = "DeemedConsent"
    BREACH = "ObligationBreach"
    ESCALATION = "Escalation"


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(_NS, name))`` without building UUID objects (a hot path of ingest)."""
    digest = bytearray(hashlib.sha1(_NS_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NS_BYTES = _NS.bytes


def obligation_id(flow: str, request_event_id: str, debtor: str) -> str:
    """Stable id of the obligation a request puts on one debtor."""
    return _uuid5(f"{flow}|{request_event_id}|{debtor}")


def outcome_id(obligation: str, kind: OutcomeKind) -> str:
    """Stable event id of an outcome: at most one of each kind per obligation."""
    return _uuid5(f"{obligation}|{kind.value}")


@dataclass(frozen=True)
class Opening:
    """A request seen on the audit log, with its deadline already computed."""

    flow: str
    request_event_id: str
    request_event_type: str
    debtor: str
    creditor: str
    case_key: str
    region: str
    opened_at: datetime
    due_at: datetime
    remind_at: datetime | None
    provisional: bool
    action: ExpiryAction
    escalate_to: str | None
    source: str
    anchor_at: datetime | None = None
    """The instant the period counts from (for a period counted backwards, the meeting);
    kept so that a calendar change can recompute the deadline. None on obligations opened
    before it was stored."""
    original_due_at: datetime | None = None
    """For an obligation handed over (转办, a dispute ruled to another department): the first
    debtor's deadline, recorded beside this one's. None for an obligation of the first debtor."""
    handed_over_from: str | None = None
    """The debtor this obligation was handed over from, if any."""

    @cached_property
    def id(self) -> str:
        """The obligation id."""
        return obligation_id(self.flow, self.request_event_id, self.debtor)


@dataclass(frozen=True)
class Answer:
    """An answer seen on the audit log: it discharges the debtor's obligation for a request."""

    flow: str
    request_event_id: str
    debtor: str
    answer_event_id: str
    answered_at: datetime

    @cached_property
    def obligation_id(self) -> str:
        """The obligation this answer discharges (which may not be open yet)."""
        return obligation_id(self.flow, self.request_event_id, self.debtor)


@dataclass(frozen=True)
class Obligation:
    """An obligation and its history."""

    opening: Opening
    state: State = State.OPEN
    reminded_at: datetime | None = None
    closed_at: datetime | None = None
    answer_event_id: str | None = None
    answered_at: datetime | None = None
    transitions: tuple[tuple[str, datetime], ...] = field(default=())
    suspended_at: datetime | None = None
    """When the clock stopped, while SUSPENDED."""
    urgings: tuple[tuple[str, datetime], ...] = field(default=())
    """Urgings (督办) received: event id and time, each once."""

    @property
    def id(self) -> str:
        """The obligation id."""
        return self.opening.id


@dataclass(frozen=True)
class Outcome:
    """An event the watchdog must publish, with its deterministic id."""

    event_id: str
    kind: OutcomeKind
    obligation: Obligation
    at: datetime
