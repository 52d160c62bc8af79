"""Pure routing decisions: which inboxes get an event, or why it is refused.

No Kafka here: the service decodes a record, asks :func:`decide`, and writes what it says.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from sgbus.bus.events import DeadLetterReason


@dataclass(frozen=True)
class RoutableEvent:
    """The envelope facts routing needs, taken from a decoded event."""

    event_id: str
    event_type: str
    sender: str
    recipients: Sequence[str] | None
    case_key: str
    region: str
    matter_code: str | None = None
    default_recipients: tuple[str, ...] = ()
    """Where an officer's action goes when it lists no recipients (see router.actions)."""


@dataclass(frozen=True)
class Deliver:
    """Write one copy to each inbox of ``parties`` (and always one to the audit log)."""

    parties: tuple[str, ...]
    unassigned: bool = False


@dataclass(frozen=True)
class Reject:
    """Send the record to the dead-letter topic with this reason (the contract's code)."""

    reason: DeadLetterReason
    detail: str


class Directory(Protocol):
    """What the router knows about parties and matters (the catalogue implements it)."""

    def known_parties(self) -> Collection[str]:
        """Every party that has an inbox."""
        ...

    def supervisors_of_matter(self, matter_code: str, region: str | None = None) -> Sequence[str]:
        """Departments that supervise a matter; empty when the catalogue does not map it."""
        ...

    def unassigned_pool(self, region: str | None = None) -> str:
        """Where approval results of unmapped matters (of ``region``) go."""
        ...

    def region_problem(self, region: str) -> str | None:
        """Why events of ``region`` cannot be routed (no rules cover it), or None."""
        ...


CATALOGUE_ROUTED = frozenset({"ApprovalResult"})


def decide(source_party: str, event: RoutableEvent, directory: Directory) -> Deliver | Reject:
    """Decide where ``event``, read from ``source_party``'s outbox, must go."""
    known = directory.known_parties()
    if event.sender != source_party:
        return Reject(
            DeadLetterReason.SENDER_NOT_OWNER,
            f"declared sender {event.sender!r} does not own outbox of {source_party!r}",
        )
    if source_party not in known:
        return Reject(
            DeadLetterReason.UNKNOWN_PARTY, f"sender {source_party!r} is not a configured party"
        )
    uncovered = directory.region_problem(event.region)
    if uncovered is not None:
        return Reject(DeadLetterReason.OTHER, uncovered)
    recipients = event.recipients or event.default_recipients
    if recipients:
        unknown = sorted(set(recipients) - set(known))
        if unknown:
            return Reject(
                DeadLetterReason.UNKNOWN_PARTY, f"unknown recipient(s): {', '.join(unknown)}"
            )
        return Deliver(_unique(recipients))
    if event.event_type in CATALOGUE_ROUTED and event.matter_code:
        supervisors = directory.supervisors_of_matter(event.matter_code, event.region)
        if supervisors:
            return Deliver(_unique(supervisors))
        return Deliver((directory.unassigned_pool(event.region),), unassigned=True)
    return Reject(DeadLetterReason.NO_RECIPIENT, f"{event.event_type} names no recipients")


def _unique(parties: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(parties))
