"""Fixtures shared by the integration tests that need the schema registry."""

from __future__ import annotations

from typing import Any

import pytest

from sgbus.bus.serde import Serde, build_serde


@pytest.fixture
def endpoints(stack: Any) -> Any:
    """The session stack, when it has a schema registry (skips the test otherwise)."""
    if not stack.schema_registry:
        pytest.skip("needs the schema registry")
    return stack


@pytest.fixture
def serde(endpoints: Any) -> Serde:
    """A serde on the stack's registry."""
    return build_serde(endpoints.registry_config())
