"""The digest's sent-log also records breach notices to department heads, one per breached
obligation: its kind names the obligation (``breach:<id>``), so it needs more room.

Revision ID: 0012_digest_breach_notices
Revises: 0011_actions
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_digest_breach_notices"
down_revision = "0011_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_log") as batch:
        batch.alter_column("kind", type_=sa.String(64), existing_type=sa.String(16))


def downgrade() -> None:
    with op.batch_alter_table("digest_log") as batch:
        batch.alter_column("kind", type_=sa.String(16), existing_type=sa.String(64))
