"""Driver-level executemany for large batches of same-shaped rows.

SQLAlchemy processes every parameter of every row through generic machinery, which on SQLite
cost more than the database's own work for the watchdog's batches of a thousand obligations.
There a statement is compiled once, and each row becomes a tuple through one conversion
function per parameter, the same conversions SQLAlchemy applies
(``tests/integration/test_store_bulk.py`` compares the stored values). Other databases take
SQLAlchemy's path, which batches rows into multi-row statements for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from sgbus.bus.store.types import UTCDateTime

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    converters: tuple[Converter | None, ...]
    positional: bool

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        pairs = tuple(zip(self.names, self.converters, strict=True))
        if self.positional:
            return [tuple(r[n] if c is None else c(r[n]) for n, c in pairs) for r in rows]
        return [{n: r[n] if c is None else c(r[n]) for n, c in pairs} for r in rows]


_compiled: dict[tuple[str, str, str], _Compiled] = {}


def execute_many(
    conn: Connection,
    name: str,
    build: Callable[[], ClauseElement],
    types: Mapping[str, TypeEngine[Any]],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Run the statement ``build()`` makes once per row of ``rows``, in one executemany.

    ``name`` identifies the statement (it is compiled once per dialect); ``types`` gives the
    type of each bound parameter, by bind name; every row has a value for each of them.
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name != "sqlite":
        # SQLAlchemy's own path is the faster one there: for PostgreSQL it turns an INSERT's
        # executemany into multi-row INSERTs ("insertmanyvalues").
        conn.execute(cast(Executable, build()), list(rows))
        return
    key = (dialect.name, str(dialect.paramstyle), name)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compile(build(), types, dialect)
        _compiled[key] = compiled
    conn.exec_driver_sql(compiled.sql, compiled.parameters(rows))


def _compile(
    stmt: ClauseElement, types: Mapping[str, TypeEngine[Any]], dialect: Dialect
) -> _Compiled:
    done = cast(SQLCompiler, stmt.compile(dialect=dialect))
    positional = bool(done.positional)
    names = tuple(done.positiontup or ()) if positional else tuple(done.binds)
    converters = tuple(_converter(types[n], dialect) for n in names)
    return _Compiled(done.string, names, converters, positional)


def _converter(type_: TypeEngine[Any], dialect: Dialect) -> Converter | None:
    if isinstance(type_, UTCDateTime):
        return type_.driver_value(dialect)
    processor: Converter | None = type_.bind_processor(dialect)
    return processor
