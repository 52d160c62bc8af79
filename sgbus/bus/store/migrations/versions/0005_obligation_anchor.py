"""The instant an obligation's period counts from, so that a calendar change can recompute a
period counted backwards (an agenda due three working days before its meeting) as well as a
forward one. Obligations opened before this revision keep NULL and are left as they are.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("obligations", sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("anchor_at")
