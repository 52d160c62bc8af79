"""The department's database as the bridge uses it: an engine, its table, and inserts that
keep what is there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from sgbus.bus.store import make_engine
from sgbus.connectors.api import CheckFailed


class DepartmentDb:
    """One table in the department's database."""

    def __init__(self, url: str, table: Table, create: bool) -> None:
        self.url = url
        self.table = table
        self.create = create
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The engine (made on first use)."""
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def open(self) -> None:
        """Create the table if asked to; a database that is away raises (and is retried)."""
        if self.create:
            self.table.metadata.create_all(self.engine, tables=[self.table], checkfirst=True)

    def check(self) -> None:
        """The database answers and the table can be read."""
        try:
            with self.engine.connect() as conn:
                conn.execute(select(self.table).limit(1)).all()
        except Exception as exc:
            raise CheckFailed(
                f"table {self.table.name}: {type(exc).__name__}"
                f" ({'it is created at start' if self.create else 'run the DDL first'})"
            ) from None

    def close(self) -> None:
        """Release the connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class OnTable:
    """The connector hooks of a connector that works on one table of ``db``."""

    db: DepartmentDb

    def open(self) -> None:
        """Create the table if configured to."""
        self.db.open()

    def check(self) -> None:
        """The table can be read."""
        self.db.check()

    def close(self) -> None:
        """Release the connections."""
        self.db.close()


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``; a row whose key is there already is left as it is (a redelivery must
    not undo what the department's system wrote since, such as a claim)."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), list(rows))
    elif name == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), list(rows))
    elif name in ("mysql", "mariadb"):
        key = next(iter(table.primary_key.columns)).name
        stmt = mysql.insert(table)
        conn.execute(stmt.on_duplicate_key_update({key: stmt.inserted[key]}), list(rows))
    else:
        raise NotImplementedError(f"the SQL bridge does not support {name!r} databases yet")
