"""``sgbus stack up | down | status``: the local Kafka broker and schema registry."""

from __future__ import annotations

import time
from dataclasses import replace

import typer

from sgbus.cli import _startup, app
from sgbus.stack import ComponentStatus, LocalStack, StackConfig, StackError

stack_app = typer.Typer(
    help="Run a local Kafka (KRaft) and schema registry on loopback, without Docker."
)
app.add_typer(stack_app, name="stack")


def local_stack(insecure: bool | None = None) -> LocalStack:
    """The developer's stack, configured from ``SGBUS_*`` settings; plaintext when
    ``insecure``, or (None) when it was last started so."""
    settings = _startup.settings()
    cfg = StackConfig.from_settings(settings)
    if insecure if insecure is not None else settings.plaintext():
        cfg = replace(cfg, secured=False)
    return LocalStack(cfg)


def catalogue_parties() -> list[str]:
    """The configured catalogue's parties: the realm's clients and the ACLs follow them."""
    settings = _startup.settings()
    return sorted(_startup.catalogue(settings).parties_by_id)


def warn_insecure() -> None:
    """Say, where nobody can miss it, that the stack is open to anyone on this machine."""
    typer.secho(
        "WARNING: INSECURE stack: plaintext Kafka and registry, no authentication, no ACLs."
        " Anyone on this machine can read and write every topic. Development only.",
        fg=typer.colors.RED,
        bold=True,
        err=True,
    )


def _note(message: str) -> None:
    typer.echo(f"  {message}", err=True)


@stack_app.command()
def up(
    fresh: bool = typer.Option(False, "--fresh", help="Wipe topics, data and schemas first."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Plaintext, no authentication, no ACLs (development only)."
    ),
) -> None:
    """Download (first time only), start what is not running, wait until it answers.

    Secured (the default): TLS on every listener, an identity provider whose realm follows the
    catalogue, OAUTHBEARER on Kafka, ACLs, and an authenticating registry; each principal's
    credentials file is written under the stack's credentials/ folder."""
    began = time.monotonic()
    insecure = insecure or _startup.settings().insecure
    if insecure:
        warn_insecure()
    try:
        info = local_stack(insecure).up(fresh=fresh, notify=_note, parties=catalogue_parties())
    except StackError as exc:
        typer.echo(f"sgbus stack up: {exc}", err=True)
        raise typer.Exit(1) from None
    state = "started " + " and ".join(info.started) if info.started else "already running"
    typer.echo(f"stack {state} ({time.monotonic() - began:.1f} s)")
    typer.echo(f"SGBUS_BOOTSTRAP={info.bootstrap}")
    typer.echo(f"SGBUS_SCHEMA_REGISTRY={info.schema_registry}")
    if info.credentials is not None:
        typer.echo(f"credentials: {info.credentials}/<principal>.json")


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
