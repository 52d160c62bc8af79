"""A connector's own state: source positions and dead-lettered records.

Revision ID: 0009_connectors
Revises: 0008_gateway
"""

import sqlalchemy as sa
from alembic import op

_INSTANT = sa.DateTime(timezone=True)

revision = "0009_connectors"
down_revision = "0008_gateway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_positions",
        sa.Column("connector", sa.String(40), primary_key=True),
        sa.Column("stream", sa.String(200), primary_key=True),
        sa.Column("position", sa.Text, nullable=False),
        sa.Column("updated_at", _INSTANT, nullable=False),
    )
    op.create_table(
        "connector_errants",
        sa.Column("dead_letter_id", sa.String(36), primary_key=True),
        sa.Column("connector", sa.String(40), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reported_at", _INSTANT, nullable=False),
        sa.Column("replayed_at", _INSTANT, nullable=True),
    )
    op.create_index("ix_connector_errants_connector", "connector_errants", ["connector"])


def downgrade() -> None:
    op.drop_table("connector_errants")
    op.drop_table("connector_positions")
