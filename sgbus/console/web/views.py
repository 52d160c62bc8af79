"""Items as the pages show them: state in words, traffic light, working days left. Pure."""

from __future__ import annotations

from collections.abc import Callable
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


def item_view(
    row: ItemRow,
    now: datetime,
    calendar: WorkingCalendar,
    name_of: Callable[[str], str] = str,
) -> ItemView:
    """The view of ``row`` at ``now``; ``name_of`` gives a party's name (its id if not)."""
    stopped = row.done or row.in_dispute
    lit = light(row.due_at, row.remind_at, now, calendar, done=stopped)
    left = None if stopped or row.due_at is None else countdown(row.due_at, now, calendar)
    state = state_of(row, lit, name_of)
    if row.urgings:
        state += f" · 已督办 {row.urgings} 次"
    return ItemView(row, lit, left, state)


def state_of(row: ItemRow, lit: Light, name_of: Callable[[str], str] = str) -> str:
    """The item's state in words, e.g. 已认领(人工认领), 已转办(转给 …), 争议中, 已逾期."""
    if row.transferred_at is not None and row.handed_to is not None:
        return f"已转办(转给 {name_of(row.handed_to)})"
    if row.ruled_at is not None and row.handed_to is not None:
        return f"争议已裁定(改由 {name_of(row.handed_to)} 办理)"
    if row.in_dispute:
        return "争议中(待中心裁定,期限暂停计算)"
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
    if row.ruled_at is not None:
        return "争议已裁定(退回本部门)," + ("已逾期" if lit is Light.RED else "待认领")
    if lit is Light.RED:
        return "已逾期"
    if row.pooled:
        return "待指派"
    if row.event_type == "ResponsibilityDispute":
        return "待裁定"
    return "待认领" if row.claimable else "待办理"
