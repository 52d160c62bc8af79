"""A pytest plugin for connector packages: the ``stack`` fixture the conformance suite needs.

Add ``pytest_plugins = ["sgbus.connectors.testing.plugin"]`` to the package's ``conftest.py``.
The session then starts a throw-away secured local stack (Kafka, the schema registry and the
identity provider, as ``sgbus stack up`` installs them) once, or uses the one that
``SGBUS_BOOTSTRAP`` names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sgbus.stack.testing import StackEndpoints, session_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackEndpoints]:
    """The session's stack, its credentials in the environment of what the tests start."""
    with session_stack(tmp_path_factory.mktemp("stack")) as endpoints:
        env = pytest.MonkeyPatch()
        for name, value in endpoints.environment().items():
            env.setenv(name, value)
        try:
            yield endpoints
        finally:
            env.undo()
