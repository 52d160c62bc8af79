"""The officers' actions on an item's claim obligation, read from audit records. Pure.

A transfer (转办), a dispute (争议), the oversight office's ruling on it, an urging (督办) and a
claim of a handed-over item act on an obligation the watchdog already holds: the one whose
request is the event the acting party received (``item_event_id``) and whose debtor is that
party. This module only says *what* happened (:class:`ItemAction`); the watchdog's ledger finds
the obligation and applies :mod:`sgbus.bus.obligations.machine` to it, in audit-log order.

- ``ItemTransfer``: the sender's obligation ends as transferred; ``transferred_to`` gets its
  own, counted from the transfer.
- ``ResponsibilityDispute``: the sender's obligation is suspended. (The oversight office's duty
  to rule is an ordinary policy rule, flow ``dispute-ruling``.)
- ``DisputeRuling``: assigned back to the disputing party, its clock restarts; assigned to
  another, the disputed obligation ends as transferred and the assignee gets its own.
- ``Urging``: counted on the urged party's obligation.
- A ``Claim`` of an ``ItemTransfer`` or ``DisputeRuling``: answers the handed-over obligation.

Consultation answers (函询) come as a fixed set; :func:`consultation_verdict` says whether an
answer counts, and as what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sgbus.bus.events import (
    Claim,
    ConsultationPosition,
    ConsultationReply,
    DisputeRuling,
    Event,
    ItemTransfer,
    ResponsibilityDispute,
    Urging,
)

#: Event types that hand an item over: the receiver claims them.
HANDOVER_TYPES = frozenset({"ItemTransfer", "DisputeRuling"})


class ActionKind(StrEnum):
    """What an action does to the obligation it names."""

    TRANSFER = "transfer"
    DISPUTE = "dispute"
    RULING = "ruling"
    URGING = "urging"
    HANDOVER_CLAIM = "handover-claim"


@dataclass(frozen=True)
class ItemAction:
    """One action on the obligation ``(item_event_id, party)``."""

    kind: ActionKind
    event_id: str
    event_type: str
    at: datetime
    item_event_id: str
    """Request event id of the obligation acted on."""
    party: str
    """Debtor of the obligation acted on."""
    region: str
    receiver: str | None = None
    """Who gets the item (transfer; a ruling, which may name ``party`` itself)."""


def item_action(event: Event, at: datetime) -> ItemAction | None:
    """The action ``event`` (timed at ``at``) takes on an item, or None if it takes none."""
    env = event.envelope

    def action(kind: ActionKind, item: object, party: str, to: str | None = None) -> ItemAction:
        return ItemAction(
            kind, str(env.event_id), type(event).__name__, at, str(item), party, env.region, to
        )

    if isinstance(event, ItemTransfer):
        return action(ActionKind.TRANSFER, event.item_event_id, env.sender, event.transferred_to)
    if isinstance(event, ResponsibilityDispute):
        return action(ActionKind.DISPUTE, event.item_event_id, env.sender)
    if isinstance(event, DisputeRuling):
        return action(ActionKind.RULING, event.item_event_id, event.disputed_by, event.assigned_to)
    if isinstance(event, Urging):
        return action(ActionKind.URGING, event.item_event_id, event.urged_party)
    if isinstance(event, Claim) and event.claimed_event_type.rsplit(".", 1)[-1] in HANDOVER_TYPES:
        return action(ActionKind.HANDOVER_CLAIM, event.claimed_event_id, env.sender)
    return None


class Verdict(StrEnum):
    """What a consultation answer (函询答复) counts as."""

    CONSENT = "consent"  # 同意
    CONDITIONAL_CONSENT = "conditional-consent"  # 有条件同意
    DISSENT = "dissent"  # 不同意, with its reason
    DEEMED_CONSENT = "deemed-consent"  # another answer, or 不同意 without reason, where policy says
    NOT_AN_ANSWER = "not-an-answer"  # the same, where policy does not count it: still owed


def consultation_verdict(reply: ConsultationReply, lenient: bool) -> Verdict:
    """The verdict of ``reply``: 同意 / 有条件同意 / 不同意 (a reason is required). Any other
    answer, or a 不同意 without a reason, counts as consent when ``lenient`` (several
    platforms do so), and as no answer at all otherwise."""
    position = reply.position
    if position is ConsultationPosition.AGREE:
        return Verdict.CONSENT
    if position is ConsultationPosition.AGREE_WITH_COMMENTS:
        return Verdict.CONDITIONAL_CONSENT
    if position is ConsultationPosition.DISAGREE and (reply.reply or "").strip():
        return Verdict.DISSENT
    return Verdict.DEEMED_CONSENT if lenient else Verdict.NOT_AN_ANSWER
