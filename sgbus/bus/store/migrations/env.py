"""Alembic environment: the engine comes from ``config.attributes`` (see ``migrate.py``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from sgbus.bus.store.tables import metadata

engine: Engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
