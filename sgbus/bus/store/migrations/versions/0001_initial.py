"""Consumer offsets, outbox and inbox items.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consumer_offsets",
        sa.Column("group_id", sa.String(200), primary_key=True),
        sa.Column("topic", sa.String(249), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "seq"])
    op.create_table(
        "inbox_items",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("party", sa.String(48), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(48), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_topic", sa.String(249), nullable=False),
        sa.Column("source_partition", sa.Integer, nullable=False),
        sa.Column("source_offset", sa.BigInteger, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("claim_state", sa.String(16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_mode", sa.String(16), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claim_event_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_inbox_party_state", "inbox_items", ["party", "claim_state"])
    op.create_index("ix_inbox_case", "inbox_items", ["case_key"])


def downgrade() -> None:
    op.drop_table("inbox_items")
    op.drop_table("outbox")
    op.drop_table("consumer_offsets")
