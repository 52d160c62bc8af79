"""The SQL table bridge: a department whose system only has a database (PostgreSQL,
MySQL/MariaDB, SQLite, or a PostgreSQL-compatible one) publishes, receives and claims through
two tables in it (:mod:`~sgbus.connectors.sql.tables`)."""

from __future__ import annotations

from sgbus.connectors.registry import ConnectorSpec
from sgbus.connectors.sql.claims import SqlClaimSource
from sgbus.connectors.sql.config import SqlConfig
from sgbus.connectors.sql.inbox import SqlInboxSink
from sgbus.connectors.sql.outbox import SqlOutboxSource

OUTBOX_CONNECTOR = ConnectorSpec(
    name="sql-outbox",
    kind="source",
    config_model=SqlConfig,
    factory=SqlOutboxSource,
    summary="publish the rows the department's system inserts into sgbus_outbox",
)
INBOX_CONNECTOR = ConnectorSpec(
    name="sql-inbox",
    kind="sink",
    config_model=SqlConfig,
    factory=SqlInboxSink,
    summary="upsert each inbox item into sgbus_inbox in the department's database",
)
CLAIMS_CONNECTOR = ConnectorSpec(
    name="sql-claims",
    kind="source",
    config_model=SqlConfig,
    factory=SqlClaimSource,
    summary="publish the claims the department's system records in sgbus_inbox",
)
