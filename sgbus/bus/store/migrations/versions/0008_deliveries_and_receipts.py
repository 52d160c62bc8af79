"""The delivery log of the read model (the gateway's pull delivery) and the gateway's receipts.

Revision ID: 0008_gateway
Revises: 0007_console
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_gateway"
down_revision = "0007_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("party", sa.String(48), primary_key=True),
        sa.Column("audit_partition", sa.Integer, primary_key=True),
        sa.Column("audit_offset", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_deliveries_party_event", "deliveries", ["party", "event_id"])
    op.create_table(
        "gateway_receipts",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("party", sa.String(48), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gateway_receipts")
    op.drop_table("deliveries")
