"""Instances starting together on one PostgreSQL migrate it once, without a race."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import inspect

from sgbus.bus.store import make_engine

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

SCRIPT = (
    "import sys; from sgbus.bus.store import make_engine, migrate;"
    " migrate(make_engine(sys.argv[1]))"
)


def test_parallel_migrations_on_a_fresh_postgresql_database(postgres_url: str) -> None:
    # Separate processes, as separate service instances are (Alembic's context is per process).
    procs = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, postgres_url], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    failures = [p.stderr.read().decode()[-500:] for p in procs if p.wait(120) != 0]  # type: ignore[union-attr]
    assert failures == []
    assert "obligations" in inspect(make_engine(postgres_url)).get_table_names()
