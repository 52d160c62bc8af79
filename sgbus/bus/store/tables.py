"""Table definitions. Alembic migrations in ``migrations/`` create them; keep both in step."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Next offset to read per (consumer group, topic, partition), written in the same transaction
# as the state the consumed records produced: the store, not Kafka, is the source of truth.
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("group_id", String(200), primary_key=True),
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)

# Events to publish, written with the state change that caused them and relayed afterwards.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("topic", String(249), nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)
Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.seq)

# A party's received items, one row per event id.
inbox_items = Table(
    "inbox_items",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("party", String(48), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("case_key", String(200), nullable=False),
    Column("sender", String(48), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("source_topic", String(249), nullable=False),
    Column("source_partition", Integer, nullable=False),
    Column("source_offset", BigInteger, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("claim_state", String(16), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("claim_mode", String(16), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("claim_event_id", String(36), nullable=True),
)
Index("ix_inbox_party_state", inbox_items.c.party, inbox_items.c.claim_state)
Index("ix_inbox_case", inbox_items.c.case_key)
