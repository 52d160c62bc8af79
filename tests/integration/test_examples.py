"""The README's runnable examples run against the session's stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.bus_helpers import bus_settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_publish_example_runs(stack: object) -> None:
    settings = bus_settings(stack)
    env = {
        **os.environ,
        "SGBUS_BOOTSTRAP": settings.bootstrap_servers(),
        "SGBUS_SCHEMA_REGISTRY": settings.registry_url(),
    }
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "publish_approval_result.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "to sg.weihai-approval.outbox[" in out.stdout
