"""The tables the SQL bridge shares with a department's database, and their DDL.

* ``sgbus_outbox`` — the department's system inserts events to publish (``event_type``, the
  event as JSON in ``payload``, optionally ``event_id``); the bridge sets ``status`` to
  ``sent`` with where the broker stored it, or to ``rejected`` with the ``reason``.
* ``sgbus_inbox`` — the bridge upserts each inbox item by ``event_id``, with flattened key
  columns beside the full JSON; the department's system claims an item by setting
  ``claimed_at`` (UTC) and ``claimed_by``, and the bridge publishes the claim and sets
  ``claim_event_id`` (or ``claim_error``).

Column names avoid SQL keywords (``offset``, ``partition``) so that hand-written SQL needs no
quoting. Instants are UTC (``DATETIME`` on MySQL/MariaDB keeps no offset: write
``UTC_TIMESTAMP()``, not ``NOW()``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from sgbus.bus.store.types import UTCDateTime

OUTBOX = "sgbus_outbox"
INBOX = "sgbus_inbox"
DIALECTS = {"postgresql": postgresql, "mysql": mysql, "mariadb": mysql, "sqlite": sqlite}
#: JSON of one event: no 64 KiB ``TEXT`` limit on MySQL/MariaDB.
_JSON = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite's rowid alias


def outbox_table(name: str = OUTBOX, metadata: MetaData | None = None) -> Table:
    """The outbox the department's system fills."""
    table = Table(
        name,
        metadata or MetaData(),
        Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        Column("event_type", String(64), nullable=False),
        Column("payload", _JSON, nullable=False),
        Column("event_id", String(36), nullable=True),
        Column("status", String(16), nullable=False, server_default=text("'pending'")),
        Column("reason", Text, nullable=True),
        Column("kafka_topic", String(249), nullable=True),
        Column("kafka_partition", Integer, nullable=True),
        Column("kafka_offset", BigInteger, nullable=True),
        Column("created_at", UTCDateTime(), nullable=True),
        Column("sent_at", UTCDateTime(), nullable=True),
        mysql_charset="utf8mb4",  # Chinese text, including characters outside the BMP
    )
    Index(f"ix_{name}_status", table.c.status, table.c.id)
    return table


def inbox_table(name: str = INBOX, metadata: MetaData | None = None) -> Table:
    """The department's copy of its inbox, and its claims."""
    table = Table(
        name,
        metadata or MetaData(),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("case_key", String(200), nullable=False),
        Column("matter_code", String(64), nullable=True),
        Column("licensee_uscc", String(18), nullable=True),
        Column("decision_date", Date, nullable=True),
        Column("claim_deadline", UTCDateTime(), nullable=True),
        Column("payload", _JSON, nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
        Column("claimed_at", UTCDateTime(), nullable=True),
        Column("claimed_by", String(100), nullable=True),
        Column("claim_event_id", String(36), nullable=True),
        Column("claim_published_at", UTCDateTime(), nullable=True),
        Column("claim_error", Text, nullable=True),
        mysql_charset="utf8mb4",
    )
    Index(f"ix_{name}_claims", table.c.claim_event_id, table.c.claimed_at)
    return table


def ddl(table: Table, dialect: str) -> str:
    """``CREATE TABLE`` and ``CREATE INDEX`` statements of ``table`` for ``dialect``."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(sorted(DIALECTS))}")
    engine_dialect = DIALECTS[dialect].dialect()
    statements = [str(CreateTable(table).compile(dialect=engine_dialect)).strip()]
    statements += [
        str(CreateIndex(index).compile(dialect=engine_dialect)).strip() for index in table.indexes
    ]
    return ";\n\n".join(statements) + ";\n"
