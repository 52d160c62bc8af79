"""A third-party connector installed from a local path (examples/connector-folder, by its
``sgbus.connectors`` entry point) is listed and passes the conformance suite — its own test
class, collected here so that it runs on this session's stack."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sgbus.connectors.registry import connector_named

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "connector-folder"


def _example_tests() -> type:
    spec = importlib.util.spec_from_file_location(
        "folder_sink_conformance", EXAMPLE / "tests" / "test_conformance.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TestFolderSink  # type: ignore[no-any-return]


TestFolderSink = _example_tests()


def test_the_installed_connector_is_found_through_its_entry_point() -> None:
    spec = connector_named("folder")
    assert spec.origin == "sgbus-folder-sink" and spec.kind == "sink"
    listing = subprocess.run(
        [sys.executable, "-m", "sgbus", "connector", "list"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},  # a table wide enough not to wrap the origin
    ).stdout
    assert "sgbus-folder-sink" in listing
