"""Reading the console's tables for the pages: lists with filters and paging, one item, a
case's history, the pool. Every query that returns items takes the party it is for; only
the oversight views pass None (all parties).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from sgbus.bus.store.tables import console_answers, console_history, console_items, obligations
from sgbus.console.readmodel.project import ASSIGN, CLAIM, DISPUTE, REPLY, RULING, TRANSFER


class Tab(StrEnum):
    """The officer's lists."""

    PENDING = "pending"  # 待认领 / 待办: nothing done yet, deadline not passed
    CLAIMED = "claimed"  # 已认领 / 已办
    OVERDUE = "overdue"  # 已逾期: nothing done and the deadline passed
    ALL = "all"

    @property
    def label(self) -> str:
        """The list's Chinese name."""
        return {"pending": "待认领", "claimed": "已认领", "overdue": "已逾期", "all": "全部"}[
            self.value
        ]


@dataclass(frozen=True)
class ItemFilter:
    """Which items to list. Unset fields do not filter; text filters match a part."""

    party: str | None
    """The items of this party; None for every party (oversight only)."""
    tab: Tab = Tab.PENDING
    matter: str | None = None
    """Matter code (exact) or part of its name."""
    case: str | None = None
    """Part of the case key or of the document number."""
    licensee: str | None = None
    """Part of the licensee's name, or its credit code (exact)."""
    decided_from: date | None = None
    decided_to: date | None = None
    claimer: str | None = None
    """Part of the claiming officer's name, or a claim mode (MANUAL, AUTOMATIC, INTEGRATED)."""
    event_type: str | None = None
    pooled: bool | None = None
    """Only results in (True) or out of (False) the unassigned pool."""
    received_from: datetime | None = None
    received_before: datetime | None = None
    """Only items that reached the party in this window (the daily export)."""
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class ItemRow:
    """One item as the lists show it."""

    event_id: str
    party: str
    event_type: str
    case_key: str
    sender: str
    occurred_at: datetime
    matter_code: str | None
    matter_name: str | None
    licensee_name: str | None
    credit_code: str | None
    document_number: str | None
    decision_date: date | None
    claimable: bool
    pooled: bool
    flow: str | None
    rule: str | None
    due_at: datetime | None
    remind_at: datetime | None
    provisional: bool
    obligation_state: str | None
    claimed_at: datetime | None
    claim_mode: str | None
    claim_officer: str | None
    replied_at: datetime | None
    reply_type: str | None
    assigned_at: datetime | None
    region: str
    obligation_id: str | None
    transferred_at: datetime | None
    """When the party passed the item on (转办)."""
    disputed_at: datetime | None
    """When the party disputed the item (争议)."""
    ruled_at: datetime | None
    """When the oversight office ruled on the party's dispute (争议裁定)."""
    handed_to: str | None
    """Who got the item from the party: the transfer's receiver, or the department a ruling
    gave it to (None when the ruling gave it back)."""
    urgings: int
    """How many times the oversight office urged the party on the item (督办)."""
    done: bool

    @property
    def in_dispute(self) -> bool:
        """Disputed and not ruled yet: the clock is stopped."""
        return self.disputed_at is not None and self.ruled_at is None

    @property
    def passed_on(self) -> bool:
        """Transferred, or given to another department by a ruling: no longer the party's."""
        return self.handed_to is not None and (
            self.transferred_at is not None or self.ruled_at is not None
        )

    @property
    def can_claim(self) -> bool:
        """Whether the party may still claim the item (not while its dispute is open)."""
        return (
            self.claimable
            and not self.done
            and self.claimed_at is None
            and not self.passed_on
            and not self.in_dispute
        )

    @property
    def can_pass_on(self) -> bool:
        """Whether the party may still transfer or dispute the item: not claimed, transferred
        or disputed before (a ruling that gave it back is final)."""
        return self.can_claim and self.disputed_at is None and self.transferred_at is None


@dataclass(frozen=True)
class Page:
    """One page of a filtered list."""

    rows: list[ItemRow]
    total: int
    page: int
    per_page: int
    counts: dict[Tab, int] = field(default_factory=dict)
    """Items on each list under the same filters."""

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class HistoryRow:
    """One event of a case."""

    event_id: str
    event_type: str
    sender: str
    delivered_to: list[str]
    occurred_at: datetime
    summary: str


@dataclass(frozen=True)
class ItemDetail:
    """One item with its event and the case's history."""

    row: ItemRow
    payload: dict[str, Any]
    history: list[HistoryRow] = field(default_factory=list)


_i = console_items.c
_o = obligations.c
_claims = console_answers.alias("claims")
_replies = console_answers.alias("replies")
_assigns = console_answers.alias("assigns")
_transfers = console_answers.alias("transfers")
_disputes = console_answers.alias("disputes")
_rulings = console_answers.alias("rulings")
_handed = console_items.alias("handed")


def _answer_join(alias: Any, kind: str) -> ColumnElement[bool]:
    c = alias.c
    return and_(c.answered_event_id == _i.event_id, c.party == _i.party, c.kind == kind)


def _done() -> ColumnElement[bool]:
    """Whether the party has nothing left to do on the item (see :class:`Tab`): answered, or
    passed on by a transfer or a ruling."""
    return case(
        (_transfers.c.answer_event_id.is_not(None), true()),
        (and_(_rulings.c.answer_event_id.is_not(None), _handed.c.party.is_not(None)), true()),
        (_i.claimable, _claims.c.answer_event_id.is_not(None)),
        (_i.pooled, _assigns.c.answer_event_id.is_not(None)),
        else_=or_(
            _o.id.is_(None),
            _o.state != "open",
            _replies.c.answer_event_id.is_not(None),
        ),
    )


def _base() -> Select[Any]:
    done = _done().label("done")
    return select(
        _i.event_id,
        _i.party,
        _i.event_type,
        _i.case_key,
        _i.sender,
        _i.occurred_at,
        _i.matter_code,
        _i.matter_name,
        _i.licensee_name,
        _i.credit_code,
        _i.document_number,
        _i.decision_date,
        _i.claimable,
        _i.pooled,
        _o.flow,
        _o.source.label("rule"),
        _o.due_at,
        _o.remind_at,
        func.coalesce(_o.provisional, false()).label("provisional"),
        _o.state.label("obligation_state"),
        _claims.c.answered_at.label("claimed_at"),
        _claims.c.mode.label("claim_mode"),
        _claims.c.officer.label("claim_officer"),
        _replies.c.answered_at.label("replied_at"),
        _replies.c.answer_type.label("reply_type"),
        _assigns.c.answered_at.label("assigned_at"),
        _i.region,
        _i.obligation_id,
        _transfers.c.answered_at.label("transferred_at"),
        _disputes.c.answered_at.label("disputed_at"),
        _rulings.c.answered_at.label("ruled_at"),
        _handed.c.party.label("handed_to"),
        _o.urgings,
        done,
    ).select_from(_joined())


def _joined() -> Any:
    """Items with their deadline and the party's answers."""
    return (
        console_items.outerjoin(obligations, _o.id == _i.obligation_id)
        .outerjoin(_claims, _answer_join(_claims, CLAIM))
        .outerjoin(_replies, _answer_join(_replies, REPLY))
        .outerjoin(_assigns, _answer_join(_assigns, ASSIGN))
        .outerjoin(_transfers, _answer_join(_transfers, TRANSFER))
        .outerjoin(_disputes, _answer_join(_disputes, DISPUTE))
        .outerjoin(_rulings, _answer_join(_rulings, RULING))
        .outerjoin(_handed, _handed_join())
    )


def _handed_join() -> ColumnElement[bool]:
    """The receiver's copy of the transfer or ruling that took the item from the party."""
    handover = func.coalesce(_rulings.c.answer_event_id, _transfers.c.answer_event_id)
    return and_(_handed.c.event_id == handover, _handed.c.party != _i.party)


def _category(now: datetime) -> ColumnElement[str]:
    """The list an item is on: claimed (done), overdue, or pending."""
    in_dispute = and_(
        _disputes.c.answer_event_id.is_not(None), _rulings.c.answer_event_id.is_(None)
    )
    return case(
        (_done(), literal(Tab.CLAIMED.value)),
        (in_dispute, literal(Tab.PENDING.value)),  # the clock is stopped until a ruling
        (and_(_o.due_at.is_not(None), _o.due_at <= now), literal(Tab.OVERDUE.value)),
        else_=literal(Tab.PENDING.value),
    )


def _tab(tab: Tab, now: datetime) -> ColumnElement[bool]:
    return true() if tab is Tab.ALL else _category(now) == tab.value


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(f: ItemFilter) -> list[ColumnElement[bool]]:
    """Every condition of ``f`` but its tab."""
    where: list[ColumnElement[bool]] = []
    if f.party is not None:
        where.append(_i.party == f.party)
    if f.matter:
        where.append(or_(_i.matter_code == f.matter, _i.matter_name.like(_like(f.matter), "\\")))
    if f.case:
        pattern = _like(f.case)
        where.append(or_(_i.case_key.like(pattern, "\\"), _i.document_number.like(pattern, "\\")))
    if f.licensee:
        where.append(
            or_(_i.credit_code == f.licensee, _i.licensee_name.like(_like(f.licensee), "\\"))
        )
    if f.decided_from:
        where.append(_i.decision_date >= f.decided_from)
    if f.decided_to:
        where.append(_i.decision_date <= f.decided_to)
    if f.claimer:
        where.append(
            or_(_claims.c.mode == f.claimer.upper(), _claims.c.officer.like(_like(f.claimer), "\\"))
        )
    if f.event_type:
        where.append(_i.event_type == f.event_type)
    if f.pooled is not None:
        where.append(_i.pooled == f.pooled)
    if f.received_from:
        where.append(_i.received_at >= f.received_from)
    if f.received_before:
        where.append(_i.received_at < f.received_before)
    return where


def list_items(conn: Connection, f: ItemFilter, now: datetime) -> Page:
    """One page of the items matching ``f``, earliest deadline first, with how many items
    each list holds under the same filters."""
    where = _filters(f)
    counts = _counts(conn, where, now)
    total = sum(counts.values()) if f.tab is Tab.ALL else counts[f.tab]
    page = max(1, f.page)
    q = (
        _base()
        .where(*where, _tab(f.tab, now))
        .order_by(_o.due_at.is_(None), _o.due_at, _i.occurred_at, _i.case_key, _i.event_id)
        .limit(f.per_page)
        .offset((page - 1) * f.per_page)
    )
    return Page([_row(r) for r in conn.execute(q)], total, page, f.per_page, counts)


def _counts(conn: Connection, where: list[ColumnElement[bool]], now: datetime) -> dict[Tab, int]:
    category = _category(now).label("category")
    q = select(category, func.count()).select_from(_joined()).where(*where).group_by(category)
    found = {Tab(c): n for c, n in conn.execute(q).all()}
    return {t: found.get(t, 0) for t in (Tab.PENDING, Tab.CLAIMED, Tab.OVERDUE)}


def tab_counts(conn: Connection, party: str | None, now: datetime) -> dict[Tab, int]:
    """How many items each list holds for ``party`` (None: every party)."""
    return _counts(conn, _filters(ItemFilter(party)), now)


def get_item(conn: Connection, event_id: str, party: str) -> ItemDetail | None:
    """The item ``event_id`` of ``party`` with its case's history; None if the party never
    received it (whoever asks: an officer of another party sees nothing)."""
    q = _base().add_columns(_i.payload).where(_i.event_id == event_id, _i.party == party)
    found = conn.execute(q).first()
    if found is None:
        return None
    return ItemDetail(_row(found), json.loads(found.payload), case_history(conn, found.case_key))


def pooled_value(conn: Connection, event_id: str, party: str) -> bytes | None:
    """The bytes of a pooled result as published (an assignment carries them)."""
    q = select(_i.raw_value).where(_i.event_id == event_id, _i.party == party, _i.pooled)
    value: bytes | None = conn.execute(q).scalar_one_or_none()
    return value


def case_history(conn: Connection, case_key: str) -> list[HistoryRow]:
    """Every event of the case, oldest first."""
    h = console_history.c
    q = select(console_history).where(h.case_key == case_key).order_by(h.occurred_at, h.event_id)
    return [
        HistoryRow(
            r.event_id,
            r.event_type,
            r.sender,
            json.loads(r.delivered_to),
            r.occurred_at,
            r.summary,
        )
        for r in conn.execute(q)
    ]


def _row(r: Any) -> ItemRow:
    computed = ("done", "urgings")
    return ItemRow(
        **{name: getattr(r, name) for name in ItemRow.__dataclass_fields__ if name not in computed},
        urgings=len(json.loads(r.urgings or "[]")),
        done=bool(r.done),
    )
