"""Shared fixtures. ``stack`` gives every integration test the same broker and registry.

Markers follow from the fixtures a test uses, so they cannot drift from what it needs: a test
using ``stack``, ``postgres_server``, ``mariadb_server`` or ``prometheus`` (directly or through
other fixtures) is ``integration``, plus ``postgres``, ``mariadb`` or ``prometheus``. Tests that
start processes of their own carry ``integration`` by hand. ``-m "not integration"`` is the fast
suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sgbus.stack.testing import StackEndpoints, session_stack

#: Fixture -> markers of every test that uses it.
_MARKERS_BY_FIXTURE = {
    "stack": ("integration",),
    "postgres_server": ("integration", "postgres"),
    "mariadb_server": ("integration", "mariadb"),
    "prometheus": ("integration", "prometheus"),
}

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.mariadb",
    "tests.fixtures.stores",
    "tests.fixtures.prometheus",
    "tests.fixtures.browser",
]


#: The variables the session's stack set (a worker running unit files after integration ones
#: must not hand them to a unit test).
_STACK_VARIABLES: set[str] = set()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackEndpoints]:
    """Kafka bootstrap and registry URL for the session: ``SGBUS_BOOTSTRAP`` /
    ``SGBUS_SCHEMA_REGISTRY`` if set, else testcontainers when Docker answers, else a local
    stack on free ports (started once, stopped at the end of the session)."""
    with session_stack(tmp_path_factory.mktemp("stack")) as endpoints:
        # Settings() in tests and in the services they start find the stack's credentials.
        env = pytest.MonkeyPatch()
        _STACK_VARIABLES.update(endpoints.environment())
        for name, value in endpoints.environment().items():
            env.setenv(name, value)
        try:
            yield endpoints
        finally:
            env.undo()


@pytest.fixture(autouse=True)
def _plaintext_without_a_stack(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests that talk to no broker run as a plaintext development client: they have no
    credentials to find. Integration tests get the session stack's (see ``stack``)."""
    if request.node.get_closest_marker("integration") is None:
        for name in _STACK_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SGBUS_INSECURE", "1")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the fixtures it uses (see the module doc)."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, markers in _MARKERS_BY_FIXTURE.items():
            if fixture in used:
                for marker in markers:
                    item.add_marker(marker)
