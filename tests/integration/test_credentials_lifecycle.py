"""Credentials over their life on the secured session stack: issued as-is usable, rotated
without restarting the broker, revoked and refused within a token's lifetime; and nothing
secret left readable on disk or written to a log."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from sgbus.bus.parties import outbox_topic
from sgbus.stack.config import StackConfig
from sgbus.stack.secure import identity_admin, issue_credentials
from sgbus.stack.testing import TEST_TOKEN_LIFESPAN_S, StackEndpoints

#: Parties no other test writes as, so rotating or revoking them disturbs nobody.
ROTATED, REVOKED, ISSUED = "weihai-civil-defence", "weihai-forestry", "weihai-highway"


@pytest.fixture(scope="module")
def cfg(stack: StackEndpoints) -> Iterator[StackConfig]:
    """The session's own secured local stack (its identity provider is needed)."""
    if stack.local is None or stack.credentials is None:
        pytest.skip("needs the session's own secured local stack")
    from confluent_kafka.admin import AdminClient

    from sgbus.bus.catalogue import example_catalogue
    from sgbus.bus.settings import Settings
    from sgbus.bus.topics import apply, desired_topics

    parties = [*example_catalogue().parties_by_id, "watchdog"]
    settings = Settings(bootstrap=stack.bootstrap)
    apply(AdminClient(stack.kafka_config()), desired_topics(parties, settings))
    yield stack.local.cfg


def produce(conf: dict[str, Any], topic: str, timeout_s: float = 15) -> KafkaError | None:
    """One record; the delivery error, or None once the broker has it."""
    producer = Producer({**conf, "message.timeout.ms": int(timeout_s * 1000)})
    return send(producer, topic, timeout_s)


def send(producer: Producer, topic: str, timeout_s: float = 15) -> KafkaError | None:
    result: list[KafkaError | None] = []
    producer.produce(topic, b"x", on_delivery=lambda err, _m: result.append(err))
    producer.flush(timeout_s + 5)
    return result[0] if result else KafkaError(KafkaError._MSG_TIMED_OUT)


def cli(cfg: StackConfig, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SGBUS_HOME": str(cfg.home),
        "SGBUS_STACK_DIR": str(cfg.state_dir),
        "SGBUS_KAFKA_PORT": str(cfg.kafka_port),
        "SGBUS_REGISTRY_PORT": str(cfg.registry_port),
        "SGBUS_IDENTITY_PORT": str(cfg.identity_port),
        "SGBUS_IDENTITY_MANAGEMENT_PORT": str(cfg.identity_management_port),
        "SGBUS_KAFKA_INTERNAL_PORT": str(cfg.internal_port),
        "SGBUS_LOG_LEVEL": "DEBUG",
    }
    code = "from sgbus.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_issued_credentials_work_as_is(cfg: StackConfig, tmp_path: Path) -> None:
    out = tmp_path / "handed-over.json"
    result = cli(cfg, "credentials", "issue", "--party", ISSUED, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"kafka", "schema_registry"}
    assert produce(doc["kafka"], outbox_topic(ISSUED)) is None
    assert (
        "sgbus.events.ApprovalResult" in SchemaRegistryClient(doc["schema_registry"]).get_subjects()
    )


def test_a_rotated_secret_works_without_restarting_the_broker(
    stack: StackEndpoints, cfg: StackConfig
) -> None:
    assert stack.local is not None
    broker = stack.local.pid("kafka")
    before = stack.credentials_of(ROTATED).kafka
    assert produce(before, outbox_topic(ROTATED)) is None
    with identity_admin(cfg) as admin:
        secret = admin.rotate_secret(ROTATED)
    issue_credentials(cfg, ROTATED, secret, cfg.credentials_dir / f"{ROTATED}.json")
    after = stack.credentials_of(ROTATED).kafka
    assert after["sasl.oauthbearer.client.secret"] != before["sasl.oauthbearer.client.secret"]
    assert produce(before, outbox_topic(ROTATED), timeout_s=8) is not None  # old secret: refused
    assert produce(after, outbox_topic(ROTATED)) is None
    assert stack.local.pid("kafka") == broker


def test_a_revoked_client_is_refused_within_its_token_lifetime(
    stack: StackEndpoints, cfg: StackConfig
) -> None:
    conf = {**stack.credentials_of(REVOKED).kafka, "message.timeout.ms": 5000}
    connected = Producer(conf)
    assert send(connected, outbox_topic(REVOKED)) is None
    with identity_admin(cfg) as admin:
        admin.revoke(REVOKED)
    revoked_at = time.monotonic()
    try:
        assert produce(conf, outbox_topic(REVOKED), timeout_s=8) is not None  # no new token
        # The open connection holds a token still valid; the broker makes it re-authenticate
        # when that token's lifetime is over, and the refresh is refused.
        refused_after = None
        while time.monotonic() - revoked_at < TEST_TOKEN_LIFESPAN_S + 30:
            if send(connected, outbox_topic(REVOKED), timeout_s=5) is not None:
                refused_after = time.monotonic() - revoked_at
                break
            time.sleep(1)
        assert refused_after is not None, "still writing after the token lifetime"
        assert refused_after <= TEST_TOKEN_LIFESPAN_S + 30
    finally:
        with identity_admin(cfg) as admin:
            admin.restore(REVOKED)
    assert produce(conf, outbox_topic(REVOKED), timeout_s=20) is None


def _secrets(cfg: StackConfig) -> set[str]:
    found = set()
    for path in cfg.credentials_dir.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found.add(doc["kafka"]["sasl.oauthbearer.client.secret"])
    admin = json.loads((cfg.identity_dir / "admin.json").read_text(encoding="utf-8"))
    found.add(admin["password"])
    return found


def test_nothing_secret_is_readable_on_disk(cfg: StackConfig) -> None:
    private = [
        *cfg.pki_dir.iterdir(),
        *cfg.identity_dir.iterdir(),
        *cfg.credentials_dir.iterdir(),
        *cfg.state_dir.rglob("*.db"),
    ]
    assert any(p.name == "ca.key" for p in private)
    loose = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in private if p.is_file()}
    loose = {p: m for p, m in loose.items() if int(m, 8) & 0o077}
    assert loose == {}
    for folder in (cfg.pki_dir, cfg.identity_dir, cfg.credentials_dir, cfg.identity_data):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder


def test_no_secret_or_token_in_any_log(cfg: StackConfig) -> None:
    # A command with debug logging, beside what the stack's processes logged all session.
    result = cli(cfg, "acls", "plan")
    assert result.returncode == 0, result.stderr
    texts = {"sgbus acls plan": result.stdout + result.stderr}
    for path in cfg.logs.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    jwt = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.")
    secrets = _secrets(cfg)
    leaks = [
        where
        for where, text in texts.items()
        if jwt.search(text) or any(secret in text for secret in secrets)
    ]
    assert leaks == []
