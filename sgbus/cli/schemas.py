"""``sgbus schemas ...``: check, register, snapshot and generate the event contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sgbus.cli import app

schemas_app = typer.Typer(
    help="Event contracts in schemas/avro: check, register, snapshot, codegen."
)
app.add_typer(schemas_app, name="schemas")

LevelOption = Annotated[
    str,
    typer.Option(
        "--level",
        help="Compatibility level: BACKWARD[_TRANSITIVE], FORWARD[_TRANSITIVE], FULL[_TRANSITIVE].",
    ),
]
DirOption = Annotated[
    Path | None, typer.Option("--schema-dir", help="Folder of .avsc files (default: schemas/avro).")
]
RegistryOption = Annotated[
    str | None,
    typer.Option("--registry", help="Registry URL; default $SGBUS_SCHEMA_REGISTRY."),
]


def _level(value: str) -> Any:
    from sgbus.bus.contracts.compat import Level

    try:
        return Level(value.upper())
    except ValueError:
        raise typer.BadParameter(f"unknown level {value!r}") from None


def _registry_client(url: str | None) -> Any:
    """A client of the registry (``url``, else the configured one), authenticated as the
    registry's only writer, ``sgbus-registry-admin``."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    from sgbus.bus.principals import REGISTRY_ADMIN
    from sgbus.bus.security import registry_client_config
    from sgbus.cli._startup import settings

    configured = settings()
    url = url or configured.schema_registry
    if not url:
        return None
    conf = registry_client_config(configured.acting_as(REGISTRY_ADMIN))
    conf["url"] = url
    return SchemaRegistryClient.new_client(conf)


def _print(report: Any, verbose: bool) -> None:
    if verbose:
        for note in report.notes:
            typer.echo(f"  {note}")
    for error in report.errors:
        typer.echo(f"ERROR {error}", err=True)


@schemas_app.command("check")
def check(
    level: LevelOption = "FULL_TRANSITIVE",
    schema_dir: DirOption = None,
    registry: RegistryOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Do not ask the registry.")] = False,
) -> None:
    """Check the contracts: house rules, models, history compatibility, and the registry if set."""
    from sgbus.bus.contracts.gate import check_offline, check_registry
    from sgbus.bus.contracts.history import load_history
    from sgbus.bus.contracts.paths import history_dir
    from sgbus.bus.contracts.schema_set import SchemaError, SchemaSet
    from sgbus.bus.events import _models
    from sgbus.bus.validation import KNOWN_CHECKS

    try:
        schema_set = SchemaSet.load(schema_dir)
        history = load_history(history_dir(schema_set.base))
    except SchemaError as exc:
        typer.echo(f"ERROR {exc}", err=True)
        raise typer.Exit(1) from None
    models = Path(_models.__file__) if schema_dir is None else None
    report = check_offline(schema_set, history, KNOWN_CHECKS, models, _level(level))
    _print(report, verbose)
    typer.echo(
        f"offline ({_level(level)}): {len(schema_set.event_names)} events, "
        f"{len(report.errors)} error(s)"
    )
    client = None if offline else _registry_client(registry)
    if client is not None:
        online = check_registry(schema_set, client)
        _print(online, verbose)
        typer.echo(f"registry: {len(online.errors)} error(s)")
        report.errors += online.errors
    if not report.ok:
        raise typer.Exit(1)


@schemas_app.command("register")
def register(
    level: LevelOption = "FULL_TRANSITIVE",
    schema_dir: DirOption = None,
    registry: RegistryOption = None,
) -> None:
    """Register every event schema under its record-name subject, with the compatibility level."""
    from sgbus.bus.contracts.gate import register_all
    from sgbus.bus.contracts.schema_set import SchemaSet

    client = _registry_client(registry)
    if client is None:
        typer.echo("ERROR no registry: pass --registry or set SGBUS_SCHEMA_REGISTRY", err=True)
        raise typer.Exit(2)
    report = register_all(SchemaSet.load(schema_dir), client, _level(level))
    _print(report, True)
    if not report.ok:
        raise typer.Exit(1)


@schemas_app.command("snapshot")
def snapshot(schema_dir: DirOption = None) -> None:
    """Freeze each event's current version into history/<Name>/v<N>.avsc (existing ones kept)."""
    from sgbus.bus.contracts.history import write_snapshots
    from sgbus.bus.contracts.paths import history_dir
    from sgbus.bus.contracts.schema_set import SchemaSet

    schema_set = SchemaSet.load(schema_dir)
    for path in write_snapshots(schema_set, history_dir(schema_set.base)):
        typer.echo(f"wrote {path}")


@schemas_app.command("codegen")
def codegen(
    check_only: Annotated[bool, typer.Option("--check", help="Only report drift.")] = False,
) -> None:
    """Regenerate sgbus/bus/events/_models.py from the schemas."""
    from sgbus.bus.contracts.codegen import generate
    from sgbus.bus.contracts.schema_set import SchemaSet
    from sgbus.bus.events import _models

    path = Path(_models.__file__)
    source = generate(SchemaSet.load())
    if path.read_text(encoding="utf-8") == source:
        typer.echo(f"{path}: up to date")
        return
    if check_only:
        typer.echo(f"ERROR {path}: out of date; run `sgbus schemas codegen`", err=True)
        raise typer.Exit(1)
    path.write_text(source, encoding="utf-8")
    typer.echo(f"wrote {path}")


@schemas_app.command("jsonschema")
def jsonschema_files(
    check_only: Annotated[bool, typer.Option("--check", help="Only report drift.")] = False,
) -> None:
    """Regenerate docs/jsonschema/<Event>.schema.json (JSON Schema 2020-12) from the contracts."""
    from sgbus.bus.contracts.json_schema import JSON_SCHEMA_DIR, all_schemas, render, write_all

    if check_only:
        stale = [
            name
            for name, schema in all_schemas().items()
            if not (JSON_SCHEMA_DIR / f"{name}.schema.json").is_file()
            or (JSON_SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
            != render(schema)
        ]
        if stale:
            typer.echo(f"ERROR out of date: {', '.join(stale)}; run `sgbus schemas jsonschema`")
            raise typer.Exit(1)
        typer.echo(f"{JSON_SCHEMA_DIR}: up to date")
        return
    for path in write_all(JSON_SCHEMA_DIR):
        typer.echo(f"wrote {path}")
