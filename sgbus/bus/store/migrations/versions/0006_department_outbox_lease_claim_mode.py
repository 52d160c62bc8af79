"""The outbox relay's claims on rows (owner and lease), and claim modes stored as the
contract's ClaimMode symbols.

* ``outbox.relay_owner`` / ``outbox.lease_until``: a relay leases the rows it hands to its
  producer instead of holding a transaction open while it publishes (see
  ``sgbus.producers.relay``). Existing rows start unclaimed.
* ``inbox_items.claim_mode`` held ``manual`` / ``integrated`` / ``automatic``, a vocabulary of
  the department store's own; it now holds the contract's ``MANUAL`` / ``INTEGRATED`` /
  ``AUTOMATIC`` (``sgbus.bus.events.ClaimMode``).

Revision ID: 0006_department
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_department"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("relay_owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE inbox_items SET claim_mode = UPPER(claim_mode) WHERE claim_mode IS NOT NULL")


def downgrade() -> None:
    op.execute("UPDATE inbox_items SET claim_mode = LOWER(claim_mode) WHERE claim_mode IS NOT NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("relay_owner")
