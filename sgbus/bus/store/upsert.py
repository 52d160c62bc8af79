"""Dialect-aware INSERT ... ON CONFLICT statements (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from sgbus.bus.store.types import UTCDateTime


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {conn.dialect.name!r}")


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows``, silently skipping those whose primary/unique key exists; return inserted."""
    if not rows:
        return 0
    # rowcount is unreliable for executemany; RETURNING counts exactly what went in.
    pk = next(iter(table.primary_key.columns))
    stmt = _insert(conn, table).on_conflict_do_nothing().returning(pk)
    return len(conn.execute(stmt, list(rows)).all())


def insert_ignore_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Like :func:`insert_ignore` without counting, for large batches of rows with the same
    columns: one driver-level executemany of a statement compiled once, each value converted
    by one function per column (SQLAlchemy's generic per-value processing cost more than the
    database's own work for the watchdog's obligations)."""
    if not rows:
        return
    prepared = _prepared_insert(conn, table, tuple(rows[0]))
    conn.exec_driver_sql(prepared.sql, prepared.parameters(rows))


@dataclass(frozen=True)
class _PreparedInsert:
    sql: str
    names: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        pairs = tuple(zip(self.names, self.converters, strict=True))
        if self.positional:
            return [tuple(row[n] if c is None else c(row[n]) for n, c in pairs) for row in rows]
        return [{n: row[n] if c is None else c(row[n]) for n, c in pairs} for row in rows]


_prepared: dict[tuple[str, str, str, tuple[str, ...]], _PreparedInsert] = {}


def _prepared_insert(conn: Connection, table: Table, names: tuple[str, ...]) -> _PreparedInsert:
    dialect = conn.dialect
    key = (dialect.name, str(dialect.paramstyle), table.name, names)
    found = _prepared.get(key)
    if found is not None:
        return found
    stmt = _insert(conn, table).values({n: bindparam(n) for n in names}).on_conflict_do_nothing()
    compiled = stmt.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ()) if compiled.positional else names
    converters = tuple(_converter(table.c[n].type, dialect) for n in order)
    found = _PreparedInsert(compiled.string, order, converters, bool(compiled.positional))
    _prepared[key] = found
    return found


def _converter(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(type_, UTCDateTime):
        return type_.driver_value(dialect)
    processor: Callable[[Any], Any] | None = type_.bind_processor(dialect)
    return processor


def upsert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows`` or overwrite the non-key columns of existing ones."""
    if not rows:
        return
    stmt = _insert(conn, table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), list(rows))
