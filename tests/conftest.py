"""Shared fixtures. ``stack`` gives every integration test the same broker and registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sgbus.stack.testing import StackEndpoints, session_stack

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.stores", "tests.fixtures.prometheus"]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackEndpoints]:
    """Kafka bootstrap and registry URL for the session: ``SGBUS_BOOTSTRAP`` /
    ``SGBUS_SCHEMA_REGISTRY`` if set, else testcontainers when Docker answers, else a local
    stack on free ports (started once, stopped at the end of the session)."""
    with session_stack(tmp_path_factory.mktemp("stack")) as endpoints:
        yield endpoints
