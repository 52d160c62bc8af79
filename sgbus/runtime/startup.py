"""Checks every command and service makes on its inputs before it touches anything.

Each raises :class:`StartupError` with one line that names the problem and the setting or
option behind it, never a password or a payload. The command line turns it into that line on
stderr and exit status 2 (:mod:`sgbus.cli._startup`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from sgbus.bus.parties import BadPartyId, check_party_id

#: Databases the stores are built and tested on.
SUPPORTED_DATABASES = ("sqlite", "postgresql")
#: The table Alembic keeps in every store; its absence means "not a store (yet)".
VERSION_TABLE = "alembic_version"


class StartupError(ValueError):
    """Bad input found before start: one line for the user, no traceback."""


def known_party(party: str, known: Iterable[str], where: str) -> str:
    """``party`` if it is a valid id listed in ``known``; else :class:`StartupError` naming the
    known ids close to it (``where`` says which list, e.g. "catalogue 'weihai'")."""
    try:
        check_party_id(party)
    except BadPartyId as exc:
        raise StartupError(str(exc)) from None
    ids = sorted(set(known))
    if party in ids:
        return party
    raise StartupError(f"unknown party {party!r} in {where}; {suggestion(party, ids)}")


def suggestion(party: str, ids: list[str]) -> str:
    """``did you mean …?`` with the closest ids, or how many there are when none is close."""
    close = _closest(party, ids, 0.6)
    if not close:
        # Abbreviated prefixes ("wh-water" for "weihai-water"): compare what follows the region.
        tails: dict[str, list[str]] = {}
        for known_id in ids:
            tails.setdefault(known_id.partition("-")[2], []).append(known_id)
        tail = party.partition("-")[2]
        for match in _closest(tail, [t for t in tails if t], 0.75):
            close += tails[match]
    if close:
        return f"did you mean {', '.join(close[:3])}?"
    if len(ids) <= 8:
        return f"known parties: {', '.join(ids)}"
    return f"{len(ids)} known parties, listed by `sgbus catalogue show --parties`"


def _closest(word: str, candidates: list[str], cutoff: float) -> list[str]:
    """The close matches that are nearly as close as the best one: ids sharing a long region
    prefix all pass the cutoff, but only the best few are worth naming."""
    close = difflib.get_close_matches(word, candidates, n=3, cutoff=cutoff)
    if not close:
        return []
    best = difflib.SequenceMatcher(None, word, close[0]).ratio()
    return [c for c in close if difflib.SequenceMatcher(None, word, c).ratio() >= best - 0.05]


def check_store_url(url: str, source: str, *, existing: bool) -> URL:
    """The parsed store URL, checked without connecting.

    ``source`` names where the URL came from (``--db``, ``SGBUS_WATCHDOG_DB``) for the message.
    With ``existing``, a SQLite store must already be there (a read-only command must not
    create an empty one); otherwise its folder must exist or be creatable.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StartupError(
            f"{source}: not a database URL; use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise StartupError(
            f"{source}: unsupported database {backend!r}; stores run on"
            f" {' or '.join(SUPPORTED_DATABASES)}"
        )
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        raise StartupError(
            f"{source}: no driver {parsed.drivername!r} installed"
            f" (for PostgreSQL use postgresql+psycopg://)"
        ) from None
    if backend == "sqlite":
        _check_sqlite_path(parsed.database, source, existing=existing)
    return parsed


def _check_sqlite_path(database: str | None, source: str, *, existing: bool) -> None:
    if not database or database == ":memory:":
        if existing:
            raise StartupError(f"{source}: an in-memory SQLite database holds no store")
        return
    path = Path(database).expanduser()
    if path.is_dir():
        raise StartupError(f"{source}: {path} is a folder, not a store file")
    if existing:
        if not path.is_file():
            raise StartupError(f"{source}: no store at {path}")
        return
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise StartupError(f"{source}: cannot create {path.parent}: {folder} is not writable")


def is_store(engine: Engine) -> bool:
    """Whether the database behind ``engine`` has been made a store (migrations applied)."""
    return inspect(engine).has_table(VERSION_TABLE)
