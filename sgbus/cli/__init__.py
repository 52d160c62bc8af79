"""The ``sgbus`` command line. Each command group lives in its own module of this package."""

from __future__ import annotations

import sys

import typer

from sgbus.bus.settings import SettingsError, get_settings

app = typer.Typer(
    name="sgbus",
    help="审管联动 bus: approval results and supervision decisions between agencies, on Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """审管联动 bus: approval results and supervision decisions between agencies, on Kafka."""
    # Every command's log lines, JSON on stderr; tables and progress stay on stdout. Services
    # configure it again with their own fields (service, party).
    from sgbus.runtime.logging import configure_logging

    try:
        level = get_settings().log_level
    except SettingsError:
        level = "INFO"  # the command reports the bad settings itself
    configure_logging(level)


def _register() -> None:
    # Command modules register themselves on import; keep this list the one place to add one.
    from sgbus.cli import (  # noqa: F401
        acls,
        actions,
        bus,
        catalogue,
        connector,
        console,
        credentials,
        deadletter,
        deadline,
        demo,
        department,
        digest,
        docs,
        export,
        gateway,
        policy,
        reconcile,
        report,
        schemas,
        sheet,
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
