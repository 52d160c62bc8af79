"""``sgbus stack up | down | status``: the local Kafka broker and schema registry."""

from __future__ import annotations

import time

import typer

from sgbus.cli import _startup, app
from sgbus.stack import ComponentStatus, LocalStack, StackConfig, StackError

stack_app = typer.Typer(
    help="Run a local Kafka (KRaft) and schema registry on loopback, without Docker."
)
app.add_typer(stack_app, name="stack")


def local_stack() -> LocalStack:
    """The developer's stack, configured from ``SGBUS_*`` settings."""
    return LocalStack(StackConfig.from_settings(_startup.settings()))


def _note(message: str) -> None:
    typer.echo(f"  {message}", err=True)


@stack_app.command()
def up(
    fresh: bool = typer.Option(False, "--fresh", help="Wipe topics, data and schemas first."),
) -> None:
    """Download (first time only), start what is not running, wait until it answers."""
    began = time.monotonic()
    try:
        info = local_stack().up(fresh=fresh, notify=_note)
    except StackError as exc:
        typer.echo(f"sgbus stack up: {exc}", err=True)
        raise typer.Exit(1) from None
    state = "started " + " and ".join(info.started) if info.started else "already running"
    typer.echo(f"stack {state} ({time.monotonic() - began:.1f} s)")
    typer.echo(f"SGBUS_BOOTSTRAP={info.bootstrap}")
    typer.echo(f"SGBUS_SCHEMA_REGISTRY={info.schema_registry}")


@stack_app.command()
def down() -> None:
    """Stop the broker and the registry; topics, data and schemas are kept."""
    try:
        stopped = local_stack().down(notify=_note)
    except StackError as exc:
        typer.echo(f"sgbus stack down: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo("stack stopped" if stopped else "stack was not running")


def format_status(rows: list[ComponentStatus]) -> str:
    """One line per process: role, version, state, address, memory, log."""
    lines = []
    for row in rows:
        if row.pid is None:
            state = "stopped"
        else:
            state = f"running pid {row.pid}" + ("" if row.answering else ", NOT answering")
        mem = f"{row.rss_kib // 1024} MiB" if row.rss_kib else "-"
        lines.append(f"{row.role:<9} {row.version:<13} {state:<28} {row.address}  rss {mem}")
        lines.append(f"{'':<9} log {row.log}")
    return "\n".join(lines)


@stack_app.command()
def status() -> None:
    """Show each process; exit code 0 when all answer, 3 otherwise."""
    rows = local_stack().status()
    typer.echo(format_status(rows))
    if not all(row.answering for row in rows):
        raise typer.Exit(3)
