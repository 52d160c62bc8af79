"""Alembic environment: the engine comes from ``config.attributes`` (see ``migrate.py``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from sgbus.bus.store.tables import metadata

# Several instances (e.g. two watchdogs on one PostgreSQL) may start at once; a transaction-
# scoped advisory lock lets one migrate while the others wait and then find nothing to do.
_MIGRATION_LOCK = 0x5367627573  # "Sgbus"

engine: Engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
