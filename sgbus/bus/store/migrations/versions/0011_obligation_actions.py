"""Officers' actions on obligations: a handed-over obligation (转办, a dispute ruled to another
department) keeps the first debtor's deadline and who it came from; a disputed one (争议) when
its clock stopped; urgings (督办) as a JSON list. Existing rows keep NULL: none of this
happened to them.

Revision ID: 0011_actions
Revises: 0010_digest_log
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_actions"
down_revision = "0010_digest_log"
branch_labels = None
depends_on = None

_COLUMNS = ("original_due_at", "handed_over_from", "suspended_at", "urgings")


def upgrade() -> None:
    op.add_column(
        "obligations", sa.Column("original_due_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("obligations", sa.Column("handed_over_from", sa.String(48), nullable=True))
    op.add_column(
        "obligations", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("obligations", sa.Column("urgings", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
