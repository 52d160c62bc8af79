"""The ``sgbus`` command line. Each command group lives in its own module of this package."""

from __future__ import annotations

import sys

import typer

from sgbus.bus.settings import SettingsError

app = typer.Typer(
    name="sgbus",
    help="审管联动 bus: approval results and supervision decisions between agencies, on Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """审管联动 bus: approval results and supervision decisions between agencies, on Kafka."""


def _register() -> None:
    # Command modules register themselves on import; keep this list the one place to add one.
    from sgbus.cli import (  # noqa: F401
        bus,
        catalogue,
        deadline,
        demo,
        department,
        docs,
        policy,
        report,
        schemas,
        smoke,
        stack,
        version,
        watchdog,
    )


def main() -> None:
    """Console-script entry point."""
    _register()
    try:
        app()
    except SettingsError as exc:
        print(f"sgbus: {exc}", file=sys.stderr)
        sys.exit(2)
