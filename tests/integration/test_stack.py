"""The local stack through a real broker and registry: round trip, restart, idempotent up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from sgbus.stack import LocalStack, PortBusyError, StackConfig, StartError
from sgbus.stack.smoke import SUBJECT, consume_event, ensure_topic, make_event, produce_event
from sgbus.stack.testing import StackEndpoints, throwaway_stack_config

pytestmark = pytest.mark.integration


def _local(stack: StackEndpoints) -> LocalStack:
    if stack.local is None:
        pytest.skip(f"needs the session's own local stack (this session uses {stack.source})")
    return stack.local


def _registry(stack: StackEndpoints) -> str:
    if stack.schema_registry is None:
        pytest.skip("no schema registry configured (SGBUS_SCHEMA_REGISTRY unset)")
    return stack.schema_registry


def _assert_same_event(sent: dict[str, object], got: dict[str, object] | None) -> None:
    assert got is not None, "event not read back"
    assert set(got) == set(sent)
    assert got["event_id"] == sent["event_id"]
    assert got["seq"] == sent["seq"]
    assert got["note"] == sent["note"]
    assert got["tags"] == sent["tags"]
    assert got["score"] == sent["score"]
    sent_at = datetime.fromtimestamp(int(str(sent["sent_at"])) / 1000, tz=UTC)
    assert got["sent_at"] == sent_at


def _cli(cfg: StackConfig, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SGBUS_HOME": str(cfg.home),
        "SGBUS_STACK_DIR": str(cfg.state_dir),
        "SGBUS_KAFKA_PORT": str(cfg.kafka_port),
        "SGBUS_CONTROLLER_PORT": str(cfg.controller_port),
        "SGBUS_REGISTRY_PORT": str(cfg.registry_port),
        "SGBUS_KAFKA_INTERNAL_PORT": str(cfg.internal_port),
        "SGBUS_IDENTITY_PORT": str(cfg.identity_port),
        "SGBUS_IDENTITY_MANAGEMENT_PORT": str(cfg.identity_management_port),
    }
    code = "from sgbus.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_avro_event_round_trip_survives_broker_restart(stack: StackEndpoints) -> None:
    registry = _registry(stack)
    assert registry
    kafka, registry_conf = stack.kafka_config(), stack.registry_config()
    ensure_topic(kafka)
    event = make_event(seq=7)
    value = produce_event(kafka, registry_conf, event)

    # Confluent wire format: magic byte 0, then the id the registry gave the schema.
    latest = SchemaRegistryClient(registry_conf).get_latest_version(SUBJECT)
    assert value[0] == 0
    assert int.from_bytes(value[1:5], "big") == latest.schema_id

    first = consume_event(kafka, registry_conf, str(event["event_id"]), f"g-{uuid.uuid4()}")
    _assert_same_event(event, first)

    local = _local(stack)
    assert local.down() == list(reversed(local.roles))
    assert all(row.pid is None for row in local.status())
    info = local.up()
    assert info.started == list(local.roles)

    again = consume_event(kafka, registry_conf, str(event["event_id"]), f"g-{uuid.uuid4()}")
    _assert_same_event(event, again)


def test_second_up_starts_nothing(stack: StackEndpoints) -> None:
    local = _local(stack)
    before = {role: local.pid(role) for role in local.roles}
    info = local.up()
    assert info.started == []
    assert {role: local.pid(role) for role in local.roles} == before
    assert None not in before.values()


def test_status_command_reports_running_processes(stack: StackEndpoints) -> None:
    cfg = _local(stack).cfg
    result = _cli(cfg, "stack", "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    kafka = next(ln for ln in lines if ln.startswith("kafka "))
    registry = next(ln for ln in lines if ln.startswith("registry "))
    assert f"running pid {_local(stack).pid('kafka')}" in kafka
    assert cfg.bootstrap in kafka
    assert cfg.registry_url in registry
    assert "NOT answering" not in result.stdout


def test_status_of_a_stack_that_never_ran(tmp_path: Path) -> None:
    cfg = throwaway_stack_config(tmp_path / "home", tmp_path / "state")
    result = _cli(cfg, "stack", "status")
    assert result.returncode == 3
    assert result.stdout.count("stopped") == 3  # identity, kafka, registry


def test_busy_port_is_reported_without_starting_anything(
    stack: StackEndpoints, tmp_path: Path
) -> None:
    home = _local(stack).cfg.home
    cfg = throwaway_stack_config(home, tmp_path / "state")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", cfg.registry_port))
        taken.listen()
        with pytest.raises(PortBusyError, match=f"{cfg.registry_port} \\(SGBUS_REGISTRY_PORT\\)"):
            LocalStack(cfg).up()
    assert not cfg.pid_file("kafka").exists()
    assert not cfg.pid_file("registry").exists()


def test_busy_port_message_from_the_cli(stack: StackEndpoints, tmp_path: Path) -> None:
    cfg = throwaway_stack_config(_local(stack).cfg.home, tmp_path / "state")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", cfg.kafka_port))
        taken.listen()
        result = _cli(cfg, "stack", "up")
    assert result.returncode == 1
    assert f"{cfg.kafka_port} (SGBUS_KAFKA_PORT)" in result.stderr


def test_broker_that_exits_during_start_is_reported_and_cleaned_up(
    stack: StackEndpoints, tmp_path: Path
) -> None:
    # Plaintext: what is tested is the broker's failure, not the identity provider's start.
    cfg = throwaway_stack_config(_local(stack).cfg.home, tmp_path / "state", secured=False)
    # Storage "formatted" for another node: the broker refuses to start and exits.
    cfg.kafka_data.mkdir(parents=True)
    (cfg.kafka_data / "meta.properties").write_text(
        "version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=5\n"
        "directory.id=AAAAAAAAAAAAAAAAAAAAAQ\n"
    )
    with pytest.raises(StartError, match="kafka exited with code") as caught:
        LocalStack(cfg).up()
    assert str(cfg.logs / "kafka" / "server.log") in str(caught.value)
    assert not cfg.pid_file("kafka").exists()
    assert not cfg.pid_file("registry").exists()
