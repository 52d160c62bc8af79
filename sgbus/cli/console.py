"""``sgbus console run`` (the 审管互动平台) and ``sgbus console users add|remove``."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console as Terminal

from sgbus.bus.catalogue import example_catalogue, load_catalogue
from sgbus.cli import _startup, app
from sgbus.console import directory
from sgbus.console.runtime import build_console
from sgbus.console.serve import make_server, projector_thread
from sgbus.console.web.config import ConsoleSettings, LoginNotConfigured
from sgbus.runtime.logging import configure_logging
from sgbus.runtime.stop import StopSignal

console_app = typer.Typer(help="The 审管互动平台: the web console of officers and the centre.")
app.add_typer(console_app, name="console")
out = Terminal()


@console_app.command("run")
def run(
    host: Annotated[str | None, typer.Option(help="address to bind (SGBUS_CONSOLE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (SGBUS_CONSOLE_PORT)")] = None,
    db: Annotated[str | None, typer.Option(help="read-model store URL (SGBUS_CONSOLE_DB)")] = None,
) -> None:
    """Serve the console until SIGTERM/SIGINT, keeping its read model up with the bus."""
    settings = _startup.settings()
    configure_logging(settings.log_level, service="console")
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    web = ConsoleSettings(**overrides)  # type: ignore[arg-type]
    stop = StopSignal().install()
    built = build_console(settings, db_url=db, stop=stop)
    try:
        server = make_server(settings, built, web)
    except LoginNotConfigured as exc:
        out.print(f"[red]sgbus console: {exc}")
        raise typer.Exit(1) from None
    thread = projector_thread(built, stop)
    out.print(f"审管互动平台: {web.base_url()}")
    try:
        server.run()
    finally:
        stop.set()
        if thread is not None:
            thread.join(15)
        built.publisher.close()


users_app = typer.Typer(help="People who log in to the console (the local stack's provider).")
console_app.add_typer(users_app, name="users")


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="login name, e.g. li.ming")],
    name: Annotated[str, typer.Option(help="display name, e.g. 李明")],
    role: Annotated[str, typer.Option(help="officer, oversight or admin")] = "officer",
    party: Annotated[str | None, typer.Option(help="the party the user acts for")] = None,
    password: Annotated[str | None, typer.Option(help="unset: one is generated")] = None,
) -> None:
    """Create or update a login in the local stack's identity provider (and the directory)."""
    from sgbus.cli.stack import local_stack
    from sgbus.stack.secure import identity_admin

    settings = _startup.settings()
    catalogue = load_catalogue(settings.catalogue) if settings.catalogue else example_catalogue()
    entry = directory.OfficerEntry(username, party or "", name, role)
    problems = directory.problems(entry, set(catalogue.parties_by_id))
    if party is None and role != "officer":
        problems = [p for p in problems if not p.startswith("party:")]
    if problems:
        out.print("[red]" + "\n".join(problems))
        raise typer.Exit(2)
    chosen = password or secrets.token_urlsafe(12)
    roles = ("officer", role) if party and role != "officer" else (role,)
    with identity_admin(local_stack().cfg) as admin:
        admin.ensure_user(username, password=chosen, name=name, party_group=party, roles=roles)
    out.print(f"{username} ({role}{', ' + party if party else ''})")
    if password is None:
        out.print(f"password: {chosen}")
