"""The console's read model: items, answers, case history and the liaison-officer directory.

Revision ID: 0007_console
Revises: 0006_department
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_console"
down_revision = "0006_department"
branch_labels = None
depends_on = None

_INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_items",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("party", sa.String(48), primary_key=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(48), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("occurred_at", _INSTANT, nullable=False),
        sa.Column("received_at", _INSTANT, nullable=False),
        sa.Column("matter_code", sa.String(64), nullable=True),
        sa.Column("matter_name", sa.String(200), nullable=True),
        sa.Column("licensee_name", sa.String(200), nullable=True),
        sa.Column("credit_code", sa.String(32), nullable=True),
        sa.Column("document_number", sa.String(200), nullable=True),
        sa.Column("decision_date", sa.Date, nullable=True),
        sa.Column("claimable", sa.Boolean, nullable=False),
        sa.Column("pooled", sa.Boolean, nullable=False),
        sa.Column("obligation_id", sa.String(36), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("raw_value", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_console_items_party_time", "console_items", ["party", "occurred_at"])
    op.create_index("ix_console_items_case", "console_items", ["case_key"])
    op.create_index("ix_console_items_obligation", "console_items", ["obligation_id"])
    op.create_table(
        "console_answers",
        sa.Column("answered_event_id", sa.String(36), primary_key=True),
        sa.Column("party", sa.String(48), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("answer_event_id", sa.String(36), nullable=False),
        sa.Column("answer_type", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("officer", sa.String(100), nullable=True),
        sa.Column("answered_at", _INSTANT, nullable=False),
    )
    op.create_table(
        "console_history",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(48), nullable=False),
        sa.Column("delivered_to", sa.Text, nullable=False),
        sa.Column("occurred_at", _INSTANT, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
    )
    op.create_index("ix_console_history_case", "console_history", ["case_key", "occurred_at"])
    op.create_table(
        "console_officers",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("party", sa.String(48), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("updated_at", _INSTANT, nullable=False),
    )
    op.create_index("ix_console_officers_party", "console_officers", ["party"])


def downgrade() -> None:
    for table in ("console_officers", "console_history", "console_answers", "console_items"):
        op.drop_table(table)
