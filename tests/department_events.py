"""Events for department-service tests: golden examples given fresh, distinct identities."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sgbus.bus.events import ApprovalResult, AutoClaim, Event, PolicyChangeNotice
from tests.golden_data import golden_event

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
APPROVAL = "wh-approval"


def _copy(event: Event, **envelope: object) -> Event:
    env = event.envelope.model_copy(update=envelope)
    return event.model_copy(update={"envelope": env})


def approval(n: int, party: str, *, run: str = "t", sender: str = APPROVAL) -> ApprovalResult:
    """Approval result number ``n`` of test run ``run``, pushed to ``party``; one case each."""
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"sgbus-test/{run}/{n}")
    base = golden_event("ApprovalResult")
    out = _copy(
        base,
        event_id=event_id,
        correlation_id=event_id,
        causation_id=None,
        sender=sender,
        recipients=[party],
        case_key=f"371000:威审批〔2026〕{run}-{n}号",
        occurred_at=T0 + timedelta(seconds=n),
    )
    assert isinstance(out, ApprovalResult)
    return out


def auto_claim_of(item: Event, party: str) -> AutoClaim:
    """The watchdog's AutoClaim of ``item`` on ``party``'s behalf."""
    base = golden_event("AutoClaim")
    assert isinstance(base, AutoClaim)
    obligation = base.obligation.model_copy(
        update={"trigger_event_id": item.envelope.event_id, "debtor": party}
    )
    event_id = uuid.uuid5(item.envelope.event_id, "auto-claim")
    env = base.envelope.model_copy(
        update={
            "event_id": event_id,
            "recipients": [party, item.envelope.sender],
            "case_key": item.envelope.case_key,
            "correlation_id": item.envelope.correlation_id,
            "causation_id": item.envelope.event_id,
        }
    )
    return base.model_copy(
        update={"envelope": env, "obligation": obligation, "claimed_on_behalf_of": party}
    )


def notice(n: int, party: str, run: str = "t") -> PolicyChangeNotice:
    """An information-only event (nothing to claim)."""
    base = golden_event("PolicyChangeNotice")
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"sgbus-test/{run}/notice/{n}")
    out = _copy(
        base,
        event_id=event_id,
        correlation_id=event_id,
        causation_id=None,
        recipients=[party],
        case_key=f"policy-{run}-{n}",
    )
    assert isinstance(out, PolicyChangeNotice)
    return out
