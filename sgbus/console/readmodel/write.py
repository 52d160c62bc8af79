"""One batch of projected audit records into the console's tables, in the caller's transaction.

Items, answers, history, the obligations (the watchdog's own ledger code, fed by the same
policy, officers' actions included: a transfer or a ruling opens the receiver's obligation, a
dispute stops the clock, an urging is counted) and the next offsets commit together. Records
at offsets already stored (read again after a crash) are dropped, so a batch applied twice
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

from sgbus.bus.obligations.actions import ItemAction
from sgbus.bus.obligations.model import Answer, Opening
from sgbus.bus.store.bulk import insert_ignore_many
from sgbus.bus.store.offsets import next_offsets_of, save_offsets
from sgbus.bus.store.tables import (
    console_answers,
    console_history,
    console_items,
    deliveries,
)
from sgbus.console.readmodel.project import Projection
from sgbus.consumers.watchdog.batch_apply import advance_offsets, stored_offsets
from sgbus.consumers.watchdog.item_actions import DeadlineOf, apply_actions
from sgbus.consumers.watchdog.ledger import apply_batch


@dataclass(frozen=True)
class Projected:
    """One audit record, read at ``partition``/``offset``, and what it means for the console.
    ``projection`` is None for a record that could not be decoded (the watchdog dead-letters
    it; the console only moves past it)."""

    partition: int
    offset: int
    projection: Projection | None = None
    openings: tuple[Opening, ...] = ()
    answers: tuple[Answer, ...] = ()
    actions: tuple[ItemAction, ...] = ()


@dataclass
class Written:
    """What a batch added."""

    records: int = 0
    items: int = 0
    skipped: list[tuple[int, int]] = field(default_factory=list)
    """(partition, offset) of fresh records that could not be decoded."""


def write_batch(
    conn: Connection,
    group_id: str,
    topic: str,
    batch: Sequence[Projected],
    ends: dict[tuple[str, int], int],
    deadline_of: DeadlineOf | None = None,
) -> Written:
    """Apply the records of ``batch`` not applied before, and store the next offsets.
    ``deadline_of`` counts the period of an item handed over by an officer's action (as the
    watchdog does); without it such an action is an error."""
    parts = {p.partition for p in batch} | {p for _, p in ends}
    stored = stored_offsets(conn, group_id, topic, parts)
    fresh = [p for p in batch if p.offset >= stored.get(p.partition, 0)]
    out = Written(records=len(fresh))
    openings: list[Opening] = []
    answers: list[Answer] = []
    actions: list[ItemAction] = []
    items: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    delivered: list[dict[str, Any]] = []
    for p in fresh:
        openings += p.openings
        answers += p.answers
        actions += p.actions
        if p.projection is None:
            out.skipped.append((p.partition, p.offset))
            continue
        items += p.projection.items
        replies += p.projection.answers
        if p.projection.history:
            history.append(p.projection.history)
        position = {"audit_partition": p.partition, "audit_offset": p.offset}
        delivered += [{**d, **position} for d in p.projection.deliveries]
    # The watchdog publishes the outcomes; here the obligations only give the deadlines.
    result = apply_batch(conn, openings, answers)
    if actions:
        if deadline_of is None:
            raise ValueError(f"{len(actions)} officer action(s) and no way to count deadlines")
        apply_actions(conn, actions, deadline_of, result)
    items = _with_handover_obligations(items, result.opened)
    _insert(conn, console_items, items, ("event_id", "party"))
    _insert(conn, console_answers, replies, ("answered_event_id", "party", "kind"))
    _insert(conn, console_history, history, ("event_id",))
    _insert(conn, deliveries, delivered, ("party", "audit_partition", "audit_offset"))
    out.items = len(items)
    nexts = advance_offsets(next_offsets_of((topic, p.partition, p.offset) for p in fresh), ends)
    save_offsets(conn, group_id, {tp: o for tp, o in nexts.items() if o > stored.get(tp[1], -1)})
    return out


def _with_handover_obligations(
    items: list[dict[str, Any]], opened: Sequence[Opening]
) -> list[dict[str, Any]]:
    """Items handed over (a transfer, a ruling) with the obligation the action opened for the
    receiver, which the policy's own openings of the record do not include."""
    handed = {(o.request_event_id, o.debtor): o.id for o in opened if o.handed_over_from}
    return [
        {**row, "obligation_id": handed.get((row["event_id"], row["party"]))}
        if row["obligation_id"] is None and (row["event_id"], row["party"]) in handed
        else row
        for row in items
    ]


def _insert(
    conn: Connection, table: Table, rows: Iterable[dict[str, Any]], key: tuple[str, ...]
) -> None:
    """Insert rows not present yet; within the batch the first row of a key wins."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(tuple(row[k] for k in key), row)
    insert_ignore_many(conn, table, list(unique.values()))
