"""One batch of interpreted audit records into the store, in the caller's transaction.

Obligations, the outcome events for the outbox, the dead letters of records that could not be
read and the next offsets are written together, so a crash leaves either all of the batch or
none of it. Records at offsets already stored (read
again after a crash, or applied meanwhile by the instance that took the partition over) are
dropped here, under a lock on the offsets on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from sgbus.bus.obligations.actions import ItemAction
from sgbus.bus.obligations.model import Answer, Opening, Outcome
from sgbus.bus.store.offsets import next_offsets_of, save_offsets
from sgbus.bus.store.outbox import OutgoingMessage, enqueue
from sgbus.bus.store.tables import consumer_offsets
from sgbus.consumers.watchdog.interpret import Interpreted
from sgbus.consumers.watchdog.item_actions import ActionsResult, DeadlineOf, apply_actions
from sgbus.consumers.watchdog.ledger import BatchResult, apply_batch

TopicPartition = tuple[str, int]


@dataclass
class Applied:
    """What applying a batch did."""

    result: BatchResult
    records: list[Interpreted] = field(default_factory=list)
    """The records applied now (not those already applied before)."""
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    """Offsets stored for the group, to mirror to Kafka for lag monitoring."""
    actions: ActionsResult = field(default_factory=ActionsResult)
    """Officers' actions applied, and those that named no obligation."""


def apply_interpreted(
    conn: Connection,
    group_id: str,
    topic: str,
    items: Sequence[Interpreted],
    ends: dict[TopicPartition, int],
    messages: Callable[[Sequence[Outcome]], list[OutgoingMessage]],
    dead_letters: Callable[[Sequence[Interpreted]], list[OutgoingMessage]] | None = None,
    deadline_of: DeadlineOf | None = None,
) -> Applied:
    """Apply ``items`` (and the end-of-partition offsets ``ends``) not applied before.

    ``dead_letters`` gives the outbox rows setting aside the fresh items that could not be
    read; without it such an item is an error (never passed silently). ``deadline_of`` counts
    the period of an obligation handed over by an officer's action; without it an action is an
    error too.
    """
    parts = {i.partition for i in items} | {p for _, p in ends}
    stored = stored_offsets(conn, group_id, topic, parts)
    fresh = [i for i in items if i.offset >= stored.get(i.partition, 0)]
    openings: list[Opening] = []
    answers: list[Answer] = []
    actions: list[ItemAction] = []
    for item in fresh:
        openings += item.openings
        answers += item.answers
        actions += item.actions
    result = apply_batch(conn, openings, answers)
    done = ActionsResult()
    if actions:
        if deadline_of is None:
            raise ValueError(f"{len(actions)} officer action(s) and no way to count deadlines")
        done = apply_actions(conn, actions, deadline_of, result)
    enqueue(conn, messages(result.outcomes))
    unread = [i for i in fresh if i.dead_letter is not None]
    if unread:
        if dead_letters is None:
            raise ValueError(f"{len(unread)} unreadable audit record(s) and no dead-letter path")
        enqueue(conn, dead_letters(unread))
    nexts = advance_offsets(next_offsets_of((i.topic, i.partition, i.offset) for i in fresh), ends)
    nexts = {tp: o for tp, o in nexts.items() if o > stored.get(tp[1], -1)}
    save_offsets(conn, group_id, nexts)
    return Applied(result, fresh, nexts, done)


def stored_offsets(
    conn: Connection, group_id: str, topic: str, partitions: set[int]
) -> dict[int, int]:
    """Next offsets stored for ``partitions`` of ``topic``, locked on PostgreSQL until the
    transaction ends, so that an instance that lost a partition in a rebalance cannot apply
    a batch the new owner already applied."""
    c = consumer_offsets.c
    q = select(c.partition, c.next_offset).where(
        c.group_id == group_id, c.topic == topic, c.partition.in_(sorted(partitions))
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return {r.partition: r.next_offset for r in conn.execute(q)}


def advance_offsets(
    nexts: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Next offsets from records and end-of-partition reports, the further of the two."""
    out = dict(nexts)
    for tp, offset in ends.items():
        out[tp] = max(out.get(tp, 0), offset)
    return out
