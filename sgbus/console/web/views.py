"""Items as the pages show them: state in words, traffic light, working days left. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.events import ClaimMode
from sgbus.console.labels import event_label, symbol_labels
from sgbus.console.readmodel.queries import ItemRow
from sgbus.console.readmodel.status import Light, countdown, light

_MODES = {**symbol_labels(ClaimMode), "AUTOMATIC": "系统自动认领", "DEEMED": "视为同意"}


@dataclass(frozen=True)
class ItemView:
    """One item row with what the page says about it."""

    row: ItemRow
    light: Light
    days_left: int | None
    state: str

    @property
    def type_label(self) -> str:
        """The event type in Chinese."""
        return event_label(self.row.event_type)


def item_view(row: ItemRow, now: datetime, calendar: WorkingCalendar) -> ItemView:
    """The view of ``row`` at ``now``."""
    lit = light(row.due_at, row.remind_at, now, calendar, done=row.done)
    left = None if row.done or row.due_at is None else countdown(row.due_at, now, calendar)
    return ItemView(row, lit, left, state_of(row, lit))


def state_of(row: ItemRow, lit: Light) -> str:
    """The item's state in words, e.g. 已认领(人工认领), 待认领, 已逾期."""
    if row.done:
        if row.claimed_at is not None:
            return f"已认领({_MODES.get(row.claim_mode or '', row.claim_mode or '')})"
        if row.assigned_at is not None:
            return "已指派"
        if row.replied_at is not None:
            return f"已办理({event_label(row.reply_type or '')})"
        if row.obligation_state in ("breached", "auto-resolved"):
            return "已逾期办结" if row.obligation_state == "breached" else "已按期限自动办结"
        return "仅供知悉"
    if lit is Light.RED:
        return "已逾期"
    if row.pooled:
        return "待指派"
    return "待认领" if row.claimable else "待办理"
