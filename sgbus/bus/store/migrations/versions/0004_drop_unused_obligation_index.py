"""Drop the index on obligations.request_event_id: no query uses it, and every obligation
opened paid for one more random B-tree insert (about a tenth of the watchdog's ingest time on
SQLite with a million rows).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_obligations_request", table_name="obligations")


def downgrade() -> None:
    op.create_index("ix_obligations_request", "obligations", ["request_event_id"])
