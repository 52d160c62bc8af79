"""Kill the department service (SIGKILL) in the middle of a stream and restart it.

What must hold afterwards: the store has every item exactly once, each claimed once with its
deterministic claim id, and the outbox topic carries one claim per item *by event id*. The
topic may hold a claim twice when the kill fell between the broker's acknowledgement and the
outbox row being marked sent: the relay then sends it again, with the same event id, and
consumers drop the copy (at-least-once delivery, exactly-once effect). So the test compares
the set of distinct claim ids with the expected set and checks that no other id appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sgbus.bus.claims import claim_event_id
from sgbus.bus.events import Claim
from sgbus.bus.parties import outbox_topic
from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import outbox
from tests.catalogue_files import catalogue_with
from tests.department_events import approval
from tests.fixtures.postgres import POSTGRESQL
from tests.integration.department_support import (
    Router,
    create_party_topics,
    new_party,
    read_topic,
    rows,
    stored_count,
    wait_until,
)

pytestmark = pytest.mark.integration

EVENTS = 3000
CHUNK = 100
KILL_AFTER = 800  # items stored when the first process is killed


def _service(
    party: str, db_url: str, env: dict[str, str], log: Path, claim_flag: str
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-c",
        "from sgbus.cli import main; main()",
        "department",
        "run",
        "--party",
        party,
        claim_flag,
        "--db",
        db_url,
        "--batch",
        "200",
        "--instance-id",
        "replica-0",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=out)


@pytest.fixture(params=["sqlite", POSTGRESQL])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dept.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_a_killed_service_resumes_without_losing_or_doubling_anything(
    stack: Any, tmp_path: Path, db_url: str
) -> None:
    if not stack.schema_registry:
        pytest.skip("needs the schema registry")
    party = new_party()
    create_party_topics(stack, party)
    serde = build_serde(stack.registry_config())
    env = {
        **os.environ,
        "SGBUS_BOOTSTRAP": stack.bootstrap,
        "SGBUS_SCHEMA_REGISTRY": stack.schema_registry,
        "SGBUS_METRICS_PORT": "0",
        "SGBUS_HOME": str(tmp_path / "home"),
        "SGBUS_CATALOGUE": str(catalogue_with(tmp_path, party)),
    }
    log = tmp_path / "service.log"
    events = [approval(i, party, run=party) for i in range(EVENTS)]

    def stream() -> None:
        router = Router(stack.bootstrap, serde, party)
        for start in range(0, EVENTS, CHUNK):
            chunk = events[start : start + CHUNK]
            router.send(chunk + chunk[::7])  # every 7th event twice: an upstream resend
            time.sleep(0.1)

    producer = threading.Thread(target=stream, daemon=True)
    # The first process uses the deprecated name of the flag: it must still work, and warn.
    first = _service(party, db_url, env, log, "--auto-claim")
    producer.start()
    engine = make_engine(db_url)
    try:
        wait_until(lambda: _count(engine, party) >= KILL_AFTER, 90, f"{KILL_AFTER} stored items")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = stored_count(engine, party)
        assert at_kill < EVENTS, "the service caught up before the kill: nothing was tested"

        second = _service(party, db_url, env, log, "--claim-on-receipt")
        producer.join(timeout=120)
        wait_until(lambda: stored_count(engine, party) == EVENTS, 120, "every item stored")
        wait_until(lambda: _unsent(engine) == 0, 60, "every claim relayed")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, log.read_text()[-2000:]
    finally:
        for p in (first, locals().get("second")):
            if isinstance(p, subprocess.Popen) and p.poll() is None:
                p.kill()

    expected_items = {str(e.envelope.event_id) for e in events}
    expected_claims = {claim_event_id(e.envelope.event_id, party) for e in events}
    stored = rows(engine, party)
    assert len(stored) == EVENTS and {r["event_id"] for r in stored} == expected_items
    assert all(r["claim_state"] == "claimed" for r in stored)
    assert {r["claim_event_id"] for r in stored} == {str(c) for c in expected_claims}

    claims = read_topic(stack.bootstrap, outbox_topic(party), serde, at_least=EVENTS, timeout=90)
    ids = Counter(c.envelope.event_id for c in claims)
    assert set(ids) == expected_claims, "one claim per item by event id, and nothing else"
    assert all(isinstance(c, Claim) for c in claims)
    assert {c.claimed_event_id for c in claims if isinstance(c, Claim)} == {
        e.envelope.event_id for e in events
    }
    resent = sum(n - 1 for n in ids.values())
    # At most one relay batch (500 rows) can be in flight when the process dies.
    assert resent <= 500, f"{resent} resent claims: more than one relay batch"
    text = log.read_text()
    assert '"event": "department service stopped"' in text
    assert text.count("--auto-claim is deprecated") == 1, "the deprecated flag warns once"
    print(
        f"killed at {at_kill}/{EVENTS} stored; claims on the topic: {len(claims)}"
        f" ({resent} resent with the same event id)"
    )


def _count(engine: Any, party: str) -> int:
    try:
        return stored_count(engine, party)
    except Exception:  # the store's tables appear only once the service has migrated it
        return 0


def _unsent(engine: Any) -> int:
    with engine.connect() as conn:
        q = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(conn.execute(q).scalar_one())
