"""``sgbus docs asyncapi``: the AsyncAPI 3.0 document of the bus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from sgbus.cli import app

docs_app = typer.Typer(help="Generated documentation.")
app.add_typer(docs_app, name="docs")


class _PlainDumper(yaml.SafeDumper):
    """Writes repeated objects out in full: no YAML anchors, easier for people and tools."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def asyncapi_text(fmt: str = "yaml") -> str:
    """The AsyncAPI document as YAML or JSON text, from the schemas and the topic design."""
    from sgbus import __version__
    from sgbus.bus.contracts.asyncapi import build_document
    from sgbus.bus.contracts.schema_set import SchemaSet
    from sgbus.bus.settings import Settings

    port = Settings.model_fields["kafka_port"].default
    doc = build_document(SchemaSet.load(), __version__, f"127.0.0.1:{port}")
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return str(yaml.dump(doc, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100))


@docs_app.command("asyncapi")
def asyncapi(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here, not stdout.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
) -> None:
    """Generate the AsyncAPI 3.0 document: every channel, message and field."""
    if fmt not in ("yaml", "json"):
        raise typer.BadParameter("format must be yaml or json")
    text = asyncapi_text(fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
