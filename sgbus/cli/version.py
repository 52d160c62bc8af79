"""``sgbus version``."""

from __future__ import annotations

import typer

from sgbus import __version__
from sgbus.cli import app


@app.command()
def version() -> None:
    """Print the sgbus version."""
    typer.echo(__version__)
