"""The claim form (认领单): the rows of ``sgbus_inbox`` as a spreadsheet an office fills in, and
what a filled form says (pure: no database, no files).

An office whose inbox is a database it never opens (``sql-inbox`` and ``sql-claims`` on a
local SQLite file) claims by writing a name in ``认领人`` and, optionally, the time in
``认领时间`` (Beijing time; default: when the form is read back). Reading the form records
each claim in ``sgbus_inbox`` only where the item is still unclaimed, so a form read twice
changes nothing the second time.

The form carries the inbox row's key columns only (the licensee's credit code is an
organisation's); the personal data an event may hold stays in ``payload``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sgbus.bus.calendar import CHINA_TZ
from sgbus.console.labels import event_label

EVENT_ID = "事件编号"
CLAIMED_BY = "认领人"
CLAIMED_AT = "认领时间"
#: The form's columns; the last two are the office's to fill.
HEADER = (
    EVENT_ID,
    "事项类型",
    "案件键",
    "事项编码",
    "事项名称",
    "统一社会信用代码",
    "决定日期",
    "认领期限（北京时间）",
    "状态",
    CLAIMED_BY,
    CLAIMED_AT,
)
WIDTHS = (38, 12, 36, 14, 28, 22, 12, 20, 24, 12, 18)
#: The longest officer name ``sgbus_inbox.claimed_by`` holds.
MAX_CLAIMED_BY = 100
#: A claim time this far ahead of the reading is a typo, not a clock difference.
_AHEAD = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class FormItem:
    """What the form shows of one ``sgbus_inbox`` row, and its claim state."""

    event_id: str
    event_type: str
    case_key: str
    matter_code: str | None
    matter_name: str | None
    licensee_uscc: str | None
    decision_date: dt.date | None
    claim_deadline: dt.datetime | None
    received_at: dt.datetime
    claimed_at: dt.datetime | None = None
    claimed_by: str | None = None
    claim_event_id: str | None = None
    claim_error: str | None = None


def matter_name(payload: str) -> str | None:
    """The matter's name from an item's JSON (``matter.name``), if it has one."""
    try:
        matter = json.loads(payload).get("matter")
    except (ValueError, AttributeError):
        return None
    name = matter.get("name") if isinstance(matter, dict) else None
    return name if isinstance(name, str) else None


def state(item: FormItem) -> str:
    """Where the item's claim stands, in the office's words."""
    if item.claimed_at is None:
        return "待认领"
    if item.claim_event_id:
        return "已认领，已发送"
    if item.claim_error:
        return f"认领未发送：{item.claim_error[:200]}"
    return "已认领，待发送"


def summary(items: Sequence[FormItem]) -> str:
    """How many items of a form are to claim, claimed and sent, or claimed and not sent yet."""
    to_claim = sum(i.claimed_at is None for i in items)
    sent = sum(bool(i.claim_event_id) for i in items)
    waiting = len(items) - to_claim - sent
    return (
        f"{len(items)} item(s): {to_claim} to claim, {sent} claimed and sent,"
        f" {waiting} claimed and not sent yet"
    )


def beijing(moment: dt.datetime) -> dt.datetime:
    """``moment`` as a Beijing wall-clock time without offset (what an Excel cell holds)."""
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)


def form_row(item: FormItem) -> list[Any]:
    """The item's row of the form, in :data:`HEADER` order."""
    return [
        item.event_id,
        event_label(item.event_type),
        item.case_key,
        item.matter_code or "",
        item.matter_name or "",
        item.licensee_uscc or "",
        item.decision_date,
        beijing(item.claim_deadline) if item.claim_deadline else None,
        state(item),
        item.claimed_by or "",
        beijing(item.claimed_at) if item.claimed_at else None,
    ]


def form_order(items: Sequence[FormItem]) -> list[FormItem]:
    """The most urgent first: by claim deadline (none last), then by arrival."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(items, key=lambda i: (i.claim_deadline or far, i.received_at, i.event_id))


@dataclass(frozen=True)
class FormClaim:
    """A claim written on the form: row ``row`` claims ``event_id``."""

    row: int
    event_id: str
    claimed_by: str
    claimed_at: dt.datetime  # UTC


@dataclass(frozen=True)
class Refusal:
    """A row that records nothing, and why (the column at fault, when one is)."""

    row: int
    event_id: str | None
    column: str | None
    reason: str


@dataclass(frozen=True)
class Reading:
    """What a filled form says: its claims, the rows refused, and rows left blank."""

    claims: list[FormClaim]
    refused: list[Refusal]
    blank: int


class FormError(ValueError):
    """The form as a whole cannot be read (a column is missing)."""


def read_form(
    header: Sequence[str], rows: Sequence[tuple[int, Sequence[Any]]], now: dt.datetime
) -> Reading:
    """The claims of a form: ``rows`` are (spreadsheet row number, cells) under ``header``;
    a row whose ``认领时间`` is empty is claimed at ``now``."""
    where = {name.strip(): i for i, name in enumerate(header) if name}
    missing = [c for c in (EVENT_ID, CLAIMED_BY) if c not in where]
    if missing:
        raise FormError(f"not a claim form: no column {'、'.join(missing)} in the first row")
    claims: list[FormClaim] = []
    refused: list[Refusal] = []
    seen: dict[str, int] = {}
    blank = 0
    for number, cells in rows:
        cell = _cells(cells, where)
        officer = _text(cell(CLAIMED_BY))
        if not officer:
            blank += 1
            continue
        try:
            claim = _claim(number, cell, officer, now)
        except _RowProblem as p:
            refused.append(Refusal(number, _text(cell(EVENT_ID)) or None, p.column, p.reason))
            continue
        if claim.event_id in seen:
            reason = f"the item is on row {seen[claim.event_id]} already"
            refused.append(Refusal(number, claim.event_id, EVENT_ID, reason))
            continue
        seen[claim.event_id] = number
        claims.append(claim)
    return Reading(claims, refused, blank)


class _RowProblem(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def _cells(cells: Sequence[Any], where: dict[str, int]) -> Any:
    def cell(column: str) -> Any:
        index = where.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    return cell


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _claim(number: int, cell: Any, officer: str, now: dt.datetime) -> FormClaim:
    event_id = _text(cell(EVENT_ID))
    if not event_id:
        raise _RowProblem(EVENT_ID, "empty: which item does the row claim?")
    try:
        event_id = str(uuid.UUID(event_id))
    except ValueError:
        raise _RowProblem(EVENT_ID, "not an event id (copy it from the form)") from None
    if len(officer) > MAX_CLAIMED_BY:
        raise _RowProblem(CLAIMED_BY, f"longer than {MAX_CLAIMED_BY} characters")
    at = claim_time(cell(CLAIMED_AT), now)
    return FormClaim(number, event_id, officer, at)


def claim_time(value: Any, now: dt.datetime) -> dt.datetime:
    """The UTC instant a ``认领时间`` cell gives (``now`` when empty): an Excel date-time, or
    text such as ``2026-12-05 09:30``; Beijing time unless it carries an offset."""
    if value is None or _text(value) == "":
        return now.astimezone(dt.UTC)
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = _parse_text(value)
    else:  # a bare date or time, or a number: not a moment
        raise _RowProblem(CLAIMED_AT, "give a date and a time, e.g. 2026-12-05 09:30")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    if moment > now + _AHEAD:
        raise _RowProblem(CLAIMED_AT, "later than now")
    return moment.astimezone(dt.UTC)


def _parse_text(value: str) -> dt.datetime:
    text = value.strip().replace("：", ":").replace("/", "-")
    if ":" not in text:
        raise _RowProblem(CLAIMED_AT, "give a date and a time, e.g. 2026-12-05 09:30")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise _RowProblem(CLAIMED_AT, "not a time: write it as 2026-12-05 09:30") from None


class Outcome(StrEnum):
    """What reading a row did."""

    CLAIMED = "claimed"
    UNCHANGED = "unchanged"  # the same claim is recorded already (a form read again)
    REFUSED = "refused"


@dataclass(frozen=True)
class Decision:
    """The outcome of one claim against the item as the table holds it."""

    outcome: Outcome
    reason: str = ""
    column: str | None = None


def decide(claim: FormClaim, item: FormItem | None, claimable: frozenset[str]) -> Decision:
    """Whether ``claim`` may be recorded on ``item`` (None: no such item in the table)."""
    if item is None:
        return Decision(Outcome.REFUSED, "no such item in the inbox", EVENT_ID)
    if item.claimed_at is not None:
        if (item.claimed_by or "").strip() == claim.claimed_by:
            return Decision(Outcome.UNCHANGED, "recorded already")
        at = beijing(item.claimed_at).strftime("%Y-%m-%d %H:%M")
        reason = f"claimed already ({at}) by another officer; left as it is"
        return Decision(Outcome.REFUSED, reason, CLAIMED_BY)
    if item.event_type not in claimable:
        return Decision(Outcome.REFUSED, f"a {event_label(item.event_type)} is not claimed")
    if claim.claimed_at < item.received_at - _AHEAD:
        return Decision(Outcome.REFUSED, "before the item arrived", CLAIMED_AT)
    return Decision(Outcome.CLAIMED)
