"""Watchdog obligations and early answers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obligations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("flow", sa.String(32), nullable=False),
        sa.Column("request_event_id", sa.String(36), nullable=False),
        sa.Column("request_event_type", sa.String(64), nullable=False),
        sa.Column("debtor", sa.String(48), nullable=False),
        sa.Column("creditor", sa.String(48), nullable=False),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("escalate_to", sa.String(48), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_event_id", sa.String(36), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transitions", sa.Text, nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_obligations_next_check", "obligations", ["next_check_at"])
    op.create_index("ix_obligations_debtor_state", "obligations", ["debtor", "state"])
    op.create_index("ix_obligations_case", "obligations", ["case_key"])
    op.create_index("ix_obligations_request", "obligations", ["request_event_id"])
    op.create_table(
        "early_answers",
        sa.Column("obligation_id", sa.String(36), primary_key=True),
        sa.Column("answer_event_id", sa.String(36), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("early_answers")
    op.drop_table("obligations")
