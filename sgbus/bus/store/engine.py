"""Engine factory: SQLite (embedded default) or PostgreSQL, tuned for a write-heavy consumer."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

log = structlog.get_logger("sgbus.bus.store.engine")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite files get WAL mode and their folder is created.

    Statement parameters are kept out of error messages and logs: they are event fields, which
    may be personal data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _private_file(path: Path) -> None:
    """Create the store file readable by its owner only (it holds personal data); SQLite gives
    its ``-wal`` and ``-shm`` files the same mode. A looser existing file is tightened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("store file was readable by others; now 0600", file=str(path))
        for sibling in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            if sibling.exists():
                sibling.chmod(0o600)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the CLI read while the service writes; NORMAL sync survives a process crash
    # (the failure we design for) and only risks the last commit on power loss.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
