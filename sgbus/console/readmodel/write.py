"""One batch of projected audit records into the console's tables, in the caller's transaction.

Items, answers, history, the obligations (the watchdog's own ledger code, fed by the same
policy) and the next offsets commit together. Records at offsets already stored (read again
after a crash) are dropped, so a batch applied twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

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
) -> Written:
    """Apply the records of ``batch`` not applied before, and store the next offsets."""
    parts = {p.partition for p in batch} | {p for _, p in ends}
    stored = stored_offsets(conn, group_id, topic, parts)
    fresh = [p for p in batch if p.offset >= stored.get(p.partition, 0)]
    out = Written(records=len(fresh))
    openings: list[Opening] = []
    answers: list[Answer] = []
    items: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    delivered: list[dict[str, Any]] = []
    for p in fresh:
        openings += p.openings
        answers += p.answers
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
    apply_batch(conn, openings, answers)
    _insert(conn, console_items, items, ("event_id", "party"))
    _insert(conn, console_answers, replies, ("answered_event_id", "party", "kind"))
    _insert(conn, console_history, history, ("event_id",))
    _insert(conn, deliveries, delivered, ("party", "audit_partition", "audit_offset"))
    out.items = len(items)
    nexts = advance_offsets(next_offsets_of((topic, p.partition, p.offset) for p in fresh), ends)
    save_offsets(conn, group_id, {tp: o for tp, o in nexts.items() if o > stored.get(tp[1], -1)})
    return out


def _insert(
    conn: Connection, table: Table, rows: Iterable[dict[str, Any]], key: tuple[str, ...]
) -> None:
    """Insert rows not present yet; within the batch the first row of a key wins."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(tuple(row[k] for k in key), row)
    insert_ignore_many(conn, table, list(unique.values()))
