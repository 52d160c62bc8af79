"""``sgbus catalogue``: show the matter catalogue and check operator catalogue files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sgbus.bus.catalogue import Catalogue, StepMode, load_catalogue
from sgbus.bus.settings import Settings
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.runtime.startup import known_party

catalogue_app = typer.Typer(
    help="The matter catalogue: who supervises which matter.", no_args_is_help=True
)
app.add_typer(catalogue_app, name="catalogue")


def matters_table(cat: Catalogue, party: str | None = None, mode: StepMode | None = None) -> Table:
    """Matters with their technical-step mode and supervising departments, each department
    by its name with its party id beside it (the id is what commands and files use)."""
    matters = cat.matters_of(party) if party else cat.matters
    table = Table(title=f"{cat.name}: {cat.title}", caption=sample_note(cat))
    for column in ("code", "matter", "mode", "departments"):
        table.add_column(column, overflow="fold", no_wrap=column == "code")
    for matter in matters:
        if mode is not None and matter.mode is not mode:
            continue
        names = "、".join(cat.labelled(p) for p in matter.departments)
        scope = " (by region)" if matter.per_region else ""
        table.add_row(matter.code, matter.name, matter.mode.value, names + scope)
    return table


def sample_note(cat: Catalogue) -> str | None:
    """The warning shown under a sample catalogue (None for a real one)."""
    if not cat.sample:
        return None
    return (
        "SAMPLE: these matters and departments are made up for demonstrations; the region's"
        " documents list none. Replace them with the region's own list before real use."
    )


def parties_table(cat: Catalogue) -> Table:
    """Parties with their ids, regions and how many matters each supervises."""
    counts = Counter(p for m in cat.matters for p in m.departments)
    table = Table(title=f"{cat.name}: parties", caption=sample_note(cat))
    for column in ("name", "party id", "region", "kind", "matters"):
        table.add_column(column, overflow="fold", no_wrap=column == "party id")
    for party in cat.parties:
        table.add_row(party.name, party.id, party.region, party.kind.value, str(counts[party.id]))
    return table


@catalogue_app.command("show")
def show(
    file: Annotated[
        Path | None,
        typer.Option(help="catalogue YAML or CSV; default: SGBUS_CATALOGUE, else the 威海 example"),
    ] = None,
    party: Annotated[str | None, typer.Option(help="only matters this party supervises")] = None,
    mode: Annotated[StepMode | None, typer.Option(help="only matters with this step mode")] = None,
    parties: Annotated[
        bool, typer.Option("--parties", help="list parties instead of matters")
    ] = False,
    region: Annotated[
        str | None,
        typer.Option(help="under a policy map: the catalogue of this region code"),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="the policy map --region looks in (default: SGBUS_POLICY)"),
    ] = None,
) -> None:
    """Print the catalogue's matters (or parties) as a table."""
    with user_errors():
        settings = _startup.settings()
        cat = (
            _region_catalogue(settings, region, policy)
            if region is not None and file is None
            else _startup.catalogue(settings, file)
        )
        if party is not None:
            known_party(party, cat.parties_by_id, f"catalogue {cat.name!r}")
        table = parties_table(cat) if parties else matters_table(cat, party, mode)
    Console().print(table)


def _region_catalogue(settings: Settings, region: str, policy: str | None) -> Catalogue:
    """The catalogue of the map entry covering ``region``; an uncovered region is an error."""
    regions = _startup.regions(settings, policy)
    found = regions.resolve(region)
    if found is None:
        raise ValueError(
            f"region {region!r} is not covered by {regions.name!r} (it covers {regions.coverage()})"
        )
    return found.catalogue


@catalogue_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="catalogue YAML or CSV file")]) -> None:
    """Check an operator catalogue; print its parties, or the problems with their lines."""
    with user_errors():
        cat = load_catalogue(file)
    Console().print(parties_table(cat))
    modes = Counter(m.mode.value for m in cat.matters)
    summary = ", ".join(f"{n} {mode}" for mode, n in sorted(modes.items()))
    typer.echo(f"{file}: valid catalogue {cat.name!r}: {len(cat.matters)} matters ({summary})")
