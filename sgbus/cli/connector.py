"""``sgbus connector list|run|check|replay``: run the bus's connectors and installed ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors

connector_app = typer.Typer(
    help="Connectors: a party's inbox to its systems (sinks), its systems to the bus (sources).",
    no_args_is_help=True,
)
app.add_typer(connector_app, name="connector")
out = Console()

NameArg = Annotated[str, typer.Argument(help="connector name, as `sgbus connector list` shows")]
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="the connector's YAML configuration file")
]


@connector_app.command("list")
def list_connectors(
    schemas: Annotated[
        bool, typer.Option("--schemas", help="Print each configuration's JSON Schema.")
    ] = False,
) -> None:
    """Built-in and installed connectors, with their configuration fields."""
    from sgbus.connectors.registry import discover

    found, broken = discover()
    if schemas:
        typer.echo(json.dumps({n: s.config_schema() for n, s in found.items()}, indent=2))
        return
    table = Table("name", "kind", "origin", "what it does", "configuration fields")
    for name, spec in sorted(found.items()):
        fields = ", ".join(
            f"{f}{'' if info.is_required() else '?'}"
            for f, info in spec.config_model.model_fields.items()
        )
        table.add_row(name, spec.kind, spec.origin, spec.summary, fields)
    for b in broken:
        table.add_row(b.name, "?", b.origin, f"[red]cannot load: {b.error}", "")
    out.print(table)
    out.print("'?' marks an optional field; `--schemas` prints the full JSON Schemas.")


def _load(name: str, config_file: Path):  # type: ignore[no-untyped-def]
    from sgbus.connectors.config import load_config
    from sgbus.connectors.registry import UnknownConnector, connector_named

    with user_errors():
        try:
            spec = connector_named(name)
        except UnknownConnector as exc:
            raise ValueError(str(exc)) from None
        return spec, load_config(config_file, spec.config_model, name)


@connector_app.command("check")
def check(name: NameArg, config_file: ConfigOption) -> None:
    """Validate the configuration and test the target's connectivity."""
    import threading

    from sgbus.connectors.api import CheckFailed
    from sgbus.connectors.runtime import Harness

    spec, config = _load(name, config_file)
    settings = _startup.settings()
    harness = Harness.build(spec, config, settings, threading.Event())
    connector = spec.factory(config, harness.context())
    try:
        connector.check()
    except CheckFailed as exc:
        _startup.fail(f"{name}: {exc}", code=1)
    out.print(f"{name}: configuration valid, target reachable (party {config.party})")


@connector_app.command("run")
def run(name: NameArg, config_file: ConfigOption) -> None:
    """Run the connector until SIGTERM/SIGINT; the batch in hand finishes first."""
    from sgbus.connectors.errant import ErrantRecordError
    from sgbus.connectors.runtime import Harness
    from sgbus.connectors.sink_runner import run_sink
    from sgbus.connectors.source_runner import run_source
    from sgbus.runtime.logging import configure_logging
    from sgbus.runtime.stop import StopSignal

    spec, config = _load(name, config_file)
    settings = _startup.settings()
    configure_logging(settings.log_level, service="connector")
    stop = StopSignal().install()
    harness = Harness.build(spec, config, settings, stop)
    try:
        if spec.kind == "sink":
            run_sink(harness)
        else:
            run_source(harness)
    except ErrantRecordError as exc:
        _startup.fail(f"{name}: {exc}", code=1)


@connector_app.command("replay")
def replay(
    name: NameArg,
    config_file: ConfigOption,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
) -> None:
    """Offer a sink's dead-lettered records to its target again (after fixing the cause)."""
    import threading

    from sgbus.connectors.replay import replay_errants
    from sgbus.connectors.runtime import Harness

    spec, config = _load(name, config_file)
    settings = _startup.settings()
    harness = Harness.build(spec, config, settings, threading.Event())
    with user_errors():
        result = replay_errants(harness, limit=limit)
    out.print(
        f"{name}: {result.replayed} replayed, {result.refused_again} refused again,"
        f" {result.gone} no longer in the inbox"
    )


@connector_app.command("ddl")
def ddl(
    name: Annotated[str, typer.Argument(help="sql-outbox, sql-inbox or sql-claims")],
    dialect: Annotated[
        str, typer.Option(help="postgresql, mysql, mariadb or sqlite")
    ] = "postgresql",
    table: Annotated[str | None, typer.Option(help="table name, if not the default")] = None,
) -> None:
    """Print the SQL that creates a SQL bridge connector's table, for the department's DBA."""
    from sgbus.connectors.sql.tables import INBOX, OUTBOX, ddl, inbox_table, outbox_table

    makers = {"sql-outbox": (outbox_table, OUTBOX), "sql-inbox": (inbox_table, INBOX)}
    makers["sql-claims"] = makers["sql-inbox"]
    if name not in makers:
        _startup.fail(f"{name!r} has no table; give one of: {', '.join(makers)}")
    make, default = makers[name]
    with user_errors():
        typer.echo(ddl(make(table or default), dialect), nl=False)
