"""What every command checks before it touches anything: settings, party ids, store URLs.

A problem is one line on stderr and exit status 2 (:func:`sgbus.cli._errors.user_errors`);
nothing is created on disk or in a database before the checks pass. Long-running services
check only what can be checked without connecting: a store that is unreachable at start is
waited out by the service, a malformed URL is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from sgbus.bus.catalogue import Catalogue, example_catalogue, load_catalogue
from sgbus.bus.regions import Regions, is_policy_map, load_regions
from sgbus.bus.settings import Settings, get_settings
from sgbus.cli._errors import user_errors
from sgbus.runtime.startup import check_store_url, is_store, known_party

_DEFAULT = "default store"


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit (2: bad input)."""
    typer.echo(f"sgbus: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    """The validated settings; bad ones end the command with their one-line description."""
    with user_errors():
        return get_settings()


def catalogue(settings: Settings, path: Path | None = None) -> Catalogue:
    """The catalogue given, else ``SGBUS_CATALOGUE``, else every region's parties when
    ``SGBUS_POLICY`` names a policy map, else the 威海 example."""
    chosen = path or settings.catalogue
    with user_errors():
        if chosen:
            return load_catalogue(chosen)
        if is_policy_map(settings.policy):
            return load_regions(settings.policy).catalogue
        return example_catalogue()


def regions(settings: Settings, policy: str | None = None) -> Regions:
    """The regions of ``policy`` (default ``SGBUS_POLICY``): a policy map's, or one policy
    with ``SGBUS_CATALOGUE`` for every region."""
    with user_errors():
        return load_regions(policy or settings.policy, settings.catalogue)


def party(settings: Settings, party_id: str, cat: Catalogue | None = None) -> str:
    """``party_id`` if the configured catalogue lists it; else exit 2 naming the close ones."""
    cat = cat or catalogue(settings)
    with user_errors():
        return known_party(party_id, cat.parties_by_id, f"catalogue {cat.name!r}")


def department_store(settings: Settings, party_id: str, db: str | None, *, existing: bool) -> str:
    """The checked store URL of ``party_id``: ``--db``, ``SGBUS_DEPARTMENT_DB`` or the default."""
    source = "--db" if db else "SGBUS_DEPARTMENT_DB" if settings.department_db else _DEFAULT
    url = db or settings.department_db_url(party_id)
    return _checked(settings, url, source, f"{party_id}.db", existing=existing)


def watchdog_store(settings: Settings, db: str | None, *, existing: bool) -> str:
    """The checked URL of the watchdog's store: ``--db``/``SGBUS_WATCHDOG_DB`` or the default."""
    source = "--db/SGBUS_WATCHDOG_DB" if db or settings.watchdog_db else _DEFAULT
    return _checked(
        settings, db or settings.watchdog_db_url(), source, "watchdog.db", existing=existing
    )


def _checked(settings: Settings, url: str, source: str, name: str, *, existing: bool) -> str:
    if existing and source == _DEFAULT:
        _refuse_old_place(settings, name)
    with user_errors():
        check_store_url(url, source, existing=existing)
    return url


def _refuse_old_place(settings: Settings, name: str) -> None:
    """A default store missing from its place but found where older releases kept it."""
    old = settings.home.expanduser() / "stores" / name
    new = settings.stores_dir() / name
    if old.is_file() and not new.exists():
        fail(f"no store at {new}; stores now live in the stack's folder: move {old} there")


def open_store(url: str, *, existing: bool) -> Engine:
    """The store behind a checked ``url``, migrated to the newest schema.

    With ``existing``, a database that is not yet a store is refused rather than made one; a
    database that cannot be reached ends the command with one line (exit 1).
    """
    from sgbus.bus.store import make_engine, migrate

    engine = make_engine(url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        if existing and not is_store(engine):
            fail(f"no store in {where}")
        migrate(engine)
    except DBAPIError as exc:
        # Only the driver's error class: its text may repeat statements and their values.
        fail(f"cannot open the store {where}: {type(exc.orig).__name__}", code=1)
    return engine
