"""Bulk writes of many same-shaped rows: insert-if-absent and update-by-key.

SQLAlchemy runs an executemany through generic per-parameter machinery, and for PostgreSQL
either sends one statement per row or one huge multi-row statement the driver must re-parse.
For the watchdog's batches of a thousand obligations that cost more than the database's own
work, so each database gets what suits it:

* SQLite: the statement is compiled once; each row becomes a tuple through one conversion
  function per column (the conversions SQLAlchemy applies), in one driver ``executemany``;
* PostgreSQL: one statement whatever the number of rows, with one array parameter per column,
  unpacked by ``unnest`` on the server;
* anything else: SQLAlchemy's own executemany.

``tests/integration/test_store_bulk.py`` checks on both databases that the stored values are
those SQLAlchemy's own path stores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from sgbus.bus.store.types import UTCDateTime

Converter = Callable[[Any], Any]
Row = Mapping[str, Any]


def insert_ignore_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (all with the same columns), skipping those whose key exists."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _pg_unnest(conn, table, names, rows, _pg_insert_sql)
    elif dialect == "sqlite":

        def build() -> ClauseElement:
            stmt = sqlite.insert(table).values({n: bindparam(n) for n in names})
            return stmt.on_conflict_do_nothing()

        _sqlite_many(conn, f"insert:{table.name}:{','.join(names)}", build, table, rows)
    else:  # pragma: no cover - the stores are SQLite or PostgreSQL
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")


def update_rows(conn: Connection, table: Table, key: str, rows: Sequence[Row]) -> None:
    """Set the columns of each of ``rows`` (all with the same columns) on the row whose
    ``key`` column has the row's ``key`` value."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _pg_unnest(conn, table, names, rows, lambda q, ns, casts: _pg_update_sql(q, key, ns, casts))
        return
    if dialect != "sqlite":  # pragma: no cover - the stores are SQLite or PostgreSQL
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    # A bound parameter may not share a column's name in UPDATE ... SET.
    renamed = [{f"p_{n}": r[n] for n in names} for r in rows]
    sets: dict[str, Any] = {n: bindparam(f"p_{n}") for n in names if n != key}

    def build() -> ClauseElement:
        return update(table).where(table.c[key] == bindparam(f"p_{key}")).values(sets)

    _sqlite_many(conn, f"update:{table.name}:{','.join(names)}", build, table, renamed)


# -- SQLite: one compiled statement, a tuple per row -----------------------------------------


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    converters: tuple[Converter | None, ...]

    def parameters(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        pairs = tuple(zip(self.names, self.converters, strict=True))
        return [tuple(r[n] if c is None else c(r[n]) for n, c in pairs) for r in rows]


_compiled: dict[str, _Compiled] = {}


def _sqlite_many(
    conn: Connection,
    name: str,
    build: Callable[[], ClauseElement],
    table: Table,
    rows: Sequence[Row],
) -> None:
    compiled = _compiled.get(name)
    if compiled is None:
        done = cast(SQLCompiler, build().compile(dialect=conn.dialect))
        names = tuple(done.positiontup or ())
        columns = [table.c[n.removeprefix("p_")] for n in names]
        converters = tuple(_converter(c.type, conn.dialect) for c in columns)
        compiled = _compiled[name] = _Compiled(done.string, names, converters)
    conn.exec_driver_sql(compiled.sql, compiled.parameters(rows))


# -- PostgreSQL: one statement, one array per column ----------------------------------------

SqlBuilder = Callable[[Callable[[str], str], tuple[str, ...], list[str]], str]


def _pg_unnest(
    conn: Connection, table: Table, names: tuple[str, ...], rows: Sequence[Row], sql: SqlBuilder
) -> None:
    dialect = conn.dialect
    casts = [f"%s::{table.c[n].type.compile(dialect=dialect)}[]" for n in names]
    arrays = []
    for n in names:
        conv = _converter(table.c[n].type, dialect)
        arrays.append([r[n] for r in rows] if conv is None else [conv(r[n]) for r in rows])
    quote = dialect.identifier_preparer.quote
    text = sql(quote, names, casts).replace("{table}", quote(table.name))
    conn.exec_driver_sql(text, tuple(arrays))


def _pg_insert_sql(q: Callable[[str], str], names: tuple[str, ...], casts: list[str]) -> str:
    return (
        f"INSERT INTO {{table}} ({', '.join(map(q, names))}) "
        f"SELECT * FROM unnest({', '.join(casts)}) ON CONFLICT DO NOTHING"
    )


def _pg_update_sql(
    q: Callable[[str], str], key: str, names: tuple[str, ...], casts: list[str]
) -> str:
    sets = ", ".join(f"{q(n)} = v.{q(n)}" for n in names if n != key)
    return (
        f"UPDATE {{table}} AS t SET {sets} FROM unnest({', '.join(casts)})"
        f" AS v({', '.join(map(q, names))}) WHERE t.{q(key)} = v.{q(key)}"
    )


def _converter(type_: TypeEngine[Any], dialect: Dialect) -> Converter | None:
    if isinstance(type_, UTCDateTime):
        return type_.driver_value(dialect)
    processor: Converter | None = type_.bind_processor(dialect)
    return processor
