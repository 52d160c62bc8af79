"""A department service serves its own consumer lag, read through its own consumer against
the offsets in its store (not through an admin client)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from sgbus.bus.parties import inbox_topic
from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine
from tests.catalogue_files import catalogue_with
from tests.department_events import approval
from tests.integration.department_support import (
    Router,
    create_party_topics,
    new_party,
    stored_count,
    wait_until,
)

pytestmark = pytest.mark.integration

EVENTS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lag(port: int, party: str) -> int | None:
    """The summed lag the service reports for its inbox; None before the first sample."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    topic = re.escape(inbox_topic(party))
    pattern = rf'sgbus_consumer_lag_records\{{[^}}]*topic="{topic}"[^}}]*\}} (\S+)'
    values = [float(v) for v in re.findall(pattern, text)]
    return int(sum(values)) if values else None


def test_department_service_reports_its_lag_from_its_own_consumer(
    stack: Any, tmp_path: Path
) -> None:
    if not stack.schema_registry:
        pytest.skip("needs the schema registry")
    party = new_party()
    create_party_topics(stack, party)
    port = _free_port()
    env = {
        **os.environ,
        "SGBUS_BOOTSTRAP": stack.bootstrap,
        "SGBUS_SCHEMA_REGISTRY": stack.schema_registry,
        "SGBUS_METRICS_PORT": str(port),
        "SGBUS_HOME": str(tmp_path / "home"),
        "SGBUS_CATALOGUE": str(catalogue_with(tmp_path, party)),
    }
    db_url = f"sqlite:///{tmp_path / 'dept.db'}"
    log = tmp_path / "service.log"
    cmd = [sys.executable, "-c", "from sgbus.cli import main; main()"]
    cmd += ["department", "run", "--party", party, "--db", db_url]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out)
    try:
        Router(stack.bootstrap, build_serde(stack.registry_config()), party).send(
            [approval(i, party, run=party) for i in range(EVENTS)]
        )
        engine = make_engine(db_url)
        wait_until(lambda: _safe_count(engine, party) == EVENTS, 60, "every item stored")
        try:
            wait_until(lambda: _safe_lag(port, party) == 0, 60, "lag sampled and back to 0")
        except AssertionError:
            raise AssertionError(_metrics(port) + log.read_text()[-3000:]) from None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()


def _safe_count(engine: Any, party: str) -> int:
    try:
        return stored_count(engine, party)
    except OperationalError:
        return 0  # the service has not created its tables yet


def _metrics(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            return "\n".join(line for line in resp.read().decode().splitlines() if "lag" in line)
    except OSError as exc:
        return f"no metrics: {exc}"


def _safe_lag(port: int, party: str) -> int | None:
    try:
        return _lag(port, party)
    except OSError:
        return None  # not serving yet
