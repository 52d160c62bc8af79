"""The facts reconciliation compares and the findings it produces. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


@dataclass(frozen=True)
class Decision:
    """One row of the bureau's decision register, with the case key the bus would give it."""

    row: int
    """Where the row is in its source: the spreadsheet row number, or the result row of a query."""
    case_key: str
    document_number: str
    region: str
    decision_date: date
    matter_code: str | None = None
    matter_name: str | None = None
    licensee_name: str | None = None
    credit_code: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One approval result delivered to one party, as the console's read model holds it."""

    event_id: str
    case_key: str
    party: str
    occurred_at: datetime
    received_at: datetime
    pooled: bool = False
    claimed_at: datetime | None = None
    """When the party itself claimed it (manual or on receipt); None if it did not."""
    auto_claimed_at: datetime | None = None
    """When the platform claimed it on the party's behalf after the claim deadline."""
    claim_due_at: datetime | None = None
    """The claim deadline of the party's obligation, when the store has one."""


class TimeBasis(StrEnum):
    """Which instant says when a result reached the bus."""

    RECEIVED = "received"  # the router's append to the audit log: the bus's own clock
    OCCURRED = "occurred"  # the envelope's occurred_at: the sender's word


class ClaimScope(StrEnum):
    """Whose claim clears a pushed decision."""

    EACH = "each"  # every department it was delivered to must claim: one finding per department
    ANY = "any"  # one claim by any department clears the decision


class ClaimState(StrEnum):
    """Why a delivered decision counts as never claimed."""

    AUTO_CLAIMED = "auto-claimed"  # the platform claimed it at the deadline
    OVERDUE = "overdue"  # the claim deadline passed, no claim recorded (yet)
    OPEN = "open"  # no claim yet, the claim deadline has not passed
    UNCLAIMED = "unclaimed"  # no claim, and the store knows no claim deadline for it
    UNASSIGNED = "unassigned"  # in the unassigned pool, never delivered to a department


@dataclass(frozen=True)
class NeverPushed:
    """A registered decision no approval result on the bus carries."""

    decision: Decision
    due_at: datetime
    provisional: bool


@dataclass(frozen=True)
class PushedLate:
    """A decision whose first approval result reached the bus at or after the push deadline."""

    decision: Decision
    pushed_at: datetime
    due_at: datetime
    provisional: bool
    working_days_late: int


@dataclass(frozen=True)
class NeverClaimed:
    """A pushed decision no department claimed (scope ``any``: ``party`` is None), or one
    department did not claim (scope ``each``)."""

    decision: Decision
    party: str | None
    received_at: datetime
    state: ClaimState
    auto_claimed_at: datetime | None = None
    claim_due_at: datetime | None = None


@dataclass(frozen=True)
class Duplicate:
    """A register row whose case key an earlier row already has; only the first is compared."""

    decision: Decision
    first_row: int
    same_date: bool


@dataclass
class Findings:
    """The outcome of one reconciliation."""

    compared: int = 0
    never_pushed: list[NeverPushed] = field(default_factory=list)
    pushed_late: list[PushedLate] = field(default_factory=list)
    never_claimed: list[NeverClaimed] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
