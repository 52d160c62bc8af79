"""Hand-built domain objects for tests: one function per type, defaults that make a valid object,
keyword overrides for what a test cares about.

The defaults describe one claim obligation: ``wh-market`` owes ``wh-approval`` a claim for an
approval result opened at :data:`T0`, due three days later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sgbus.bus.obligations.model import Answer, ExpiryAction, Opening

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
DUE = T0 + timedelta(days=3)


def opening(
    request_event_id: str = "req-1",
    *,
    flow: str = "claim",
    request_event_type: str = "ApprovalResult",
    debtor: str = "wh-market",
    creditor: str = "wh-approval",
    case_key: str | None = None,
    region: str = "371000",
    opened_at: datetime = T0,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    provisional: bool = False,
    action: ExpiryAction = ExpiryAction.AUTO_CLAIM,
    escalate_to: str | None = None,
    source: str = "test policy",
    anchor_at: datetime | None = None,
) -> Opening:
    """An :class:`Opening`; the case key defaults to ``<region>:<request id>`` and the deadline
    to three days after ``opened_at``."""
    return Opening(
        flow=flow,
        request_event_id=request_event_id,
        request_event_type=request_event_type,
        debtor=debtor,
        creditor=creditor,
        case_key=case_key if case_key is not None else f"{region}:{request_event_id}",
        region=region,
        opened_at=opened_at,
        due_at=due_at if due_at is not None else opened_at + timedelta(days=3),
        remind_at=remind_at,
        provisional=provisional,
        action=action,
        escalate_to=escalate_to,
        source=source,
        anchor_at=anchor_at,
    )


def answer(
    request_event_id: str = "req-1",
    answered_at: datetime = T0 + timedelta(days=1),
    *,
    flow: str = "claim",
    debtor: str = "wh-market",
    answer_event_id: str | None = None,
) -> Answer:
    """An :class:`Answer` to the obligation :func:`opening` makes with the same arguments; its
    event id defaults to ``ans-<request id>``."""
    return Answer(
        flow=flow,
        request_event_id=request_event_id,
        debtor=debtor,
        answer_event_id=answer_event_id or f"ans-{request_event_id}",
        answered_at=answered_at,
    )
