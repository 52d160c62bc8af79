"""The notification digest's sent-log: one row per (day, recipient, kind, channel), written
before the message goes out, so that a restart never sends a day's digest twice.

Revision ID: 0010_digest_log
Revises: 0009_connectors
"""

import sqlalchemy as sa
from alembic import op

_INSTANT = sa.DateTime(timezone=True)

revision = "0010_digest_log"
down_revision = "0009_connectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_log",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("recipient", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", _INSTANT, nullable=False),
        sa.Column("finished_at", _INSTANT, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("digest_log")
