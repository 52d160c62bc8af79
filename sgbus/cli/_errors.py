"""Turn expected user errors into a one-line message and exit status 2, without a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from sgbus.bus.catalogue import UnknownMatter, UnknownParty
from sgbus.bus.policy import UnknownFlow, UnknownPolicy
from sgbus.bus.security import CredentialsError
from sgbus.bus.settings import SettingsError
from sgbus.bus.yamldoc import SourceError

# StartupError (sgbus.runtime.startup) is a ValueError.
USER_ERRORS = (
    CredentialsError,
    SettingsError,
    SourceError,
    UnknownFlow,
    UnknownPolicy,
    UnknownMatter,
    UnknownParty,
    ValueError,
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Report bad input (settings, files, names, timestamps) on stderr and exit with status 2."""
    try:
        yield
    except USER_ERRORS as exc:
        print(f"sgbus: {exc}", file=sys.stderr)
        raise typer.Exit(code=2) from None
