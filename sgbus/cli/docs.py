"""``sgbus docs``: generated documentation — the AsyncAPI 3.0 document of the bus, and the
reference pages of ``docs/reference/`` (settings, metrics, commands, events)."""

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


@docs_app.command("reference")
def reference(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the reference pages.")] = Path(
        "docs/reference"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a page is stale.")
    ] = False,
) -> None:
    """Generate the reference pages from the code: settings, metrics, commands and events."""
    from sgbus.docsgen.pages import build_all, stale_pages, write_all

    pages = build_all()
    if check:
        stale = stale_pages(out, pages)
        for name in stale:
            typer.echo(f"stale: {out / name}", err=True)
        if stale:
            typer.echo("run: sgbus docs reference", err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(pages)} reference pages up to date")
        return
    changed = write_all(out, pages)
    typer.echo(f"wrote {len(changed)} of {len(pages)} pages in {out}")
