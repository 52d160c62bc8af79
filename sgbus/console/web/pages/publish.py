"""Publishing an officer's action, with an answer the page can show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from sgbus.bus.events import Event, event_type_of
from sgbus.bus.validation import validate_event
from sgbus.console.actions import ActionRefused, Officer
from sgbus.console.runtime import Console
from sgbus.producers.publisher import PublishError

log = structlog.get_logger("sgbus.console.web.publish")


_LABELS = {
    "Claim": "认领",
    "ItemTransfer": "转办",
    "ResponsibilityDispute": "提出争议",
    "DisputeRuling": "争议裁定",
    "Urging": "督办",
}


@dataclass(frozen=True)
class ActionResult:
    """What became of an action: published (with the event id), refused, or not sent."""

    ok: bool
    message: str
    status: int = 200
    event_id: str | None = None


def publish_as_officer(
    console: Console, officer: Officer, build: Callable[[Officer], Event]
) -> ActionResult:
    """Build the event as ``officer`` and publish it to their party's outbox."""
    try:
        event = build(officer)
    except ActionRefused as exc:
        return ActionResult(False, str(exc), 400)
    issues = validate_event(event)
    if issues:
        # Messages name the field; personal data in them is already masked.
        return ActionResult(False, "; ".join(str(i) for i in issues[:5]), 400)
    try:
        receipt = console.publisher.publish(officer.party, event)
    except PublishError as exc:
        log.warning("action not published", party=officer.party, error=str(exc))
        return ActionResult(False, "总线暂不可用,未能提交,请稍后重试(未产生任何记录)", 503)
    log.info(
        "action published",
        party=officer.party,
        event_type=event_type_of(event),
        event_id=receipt.event_id,
    )
    label = _LABELS.get(event_type_of(event), "提交")
    return ActionResult(True, f"{label}成功,事件编号 {receipt.event_id}", 200, receipt.event_id)
