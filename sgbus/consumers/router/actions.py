"""Routing the officers' actions on an item: who gets them, and who may send them. Pure.

- ``ItemTransfer`` (转办) goes to the department it names (``transferred_to``), which must be
  among the recipients when the sender lists them; nobody transfers to itself.
- ``ResponsibilityDispute`` (争议) goes to the oversight office's pool unless addressed.
- ``DisputeRuling`` goes to the disputing department and the assignee; ``Urging`` (督办) to the
  department urged. Only an oversight office sends either.
"""

from __future__ import annotations

from typing import Protocol

from sgbus.bus.events import (
    DeadLetterReason,
    DisputeRuling,
    Event,
    ItemTransfer,
    ResponsibilityDispute,
    Urging,
)

#: Why an action is refused: the dead-letter reason, a data-free detail, the fields concerned.
ActionRefusal = tuple[DeadLetterReason, str, tuple[str, ...]]


class OversightDirectory(Protocol):
    """What the checks need to know about parties."""

    def is_oversight(self, party: str) -> bool:
        """Whether ``party`` is an oversight office."""
        ...

    def unassigned_pool(self) -> str:
        """The oversight office's pool."""
        ...


def default_recipients(event: Event, directory: OversightDirectory) -> tuple[str, ...]:
    """Who gets an action that lists no recipients; empty for any other event."""
    if isinstance(event, ItemTransfer):
        return (event.transferred_to,)
    if isinstance(event, ResponsibilityDispute):
        return (directory.unassigned_pool(),)
    if isinstance(event, DisputeRuling):
        return tuple(dict.fromkeys((event.disputed_by, event.assigned_to)))
    if isinstance(event, Urging):
        return (event.urged_party,)
    return ()


def action_refusal(
    source: str, event: Event, directory: OversightDirectory
) -> ActionRefusal | None:
    """Why an action from ``source``'s outbox is refused, or None when it may be routed."""
    if isinstance(event, DisputeRuling | Urging) and not directory.is_oversight(source):
        kind = "rule on a dispute" if isinstance(event, DisputeRuling) else "urge"
        return (DeadLetterReason.SENDER_NOT_OWNER, f"only an oversight office may {kind}", ())
    if isinstance(event, ItemTransfer):
        if event.transferred_to == source:
            detail = "an item cannot be transferred to its own holder"
            return (DeadLetterReason.VALIDATION_FAILED, detail, ("transferred_to",))
        listed = event.envelope.recipients
        if listed and event.transferred_to not in listed:
            detail = "transferred_to is not among the envelope's recipients"
            return (DeadLetterReason.VALIDATION_FAILED, detail, ("transferred_to",))
    return None
