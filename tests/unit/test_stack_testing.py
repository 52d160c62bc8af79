"""Choice of broker for a test session, without starting one."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sgbus.stack.testing import docker_engine_answers, free_ports, session_stack


def test_environment_endpoints_start_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SGBUS_BOOTSTRAP", "broker.example:9092")
    monkeypatch.setenv("SGBUS_SCHEMA_REGISTRY", "http://registry.example/apis/ccompat/v7")
    with session_stack(tmp_path) as endpoints:
        assert endpoints.bootstrap == "broker.example:9092"
        assert endpoints.schema_registry == "http://registry.example/apis/ccompat/v7"
        assert endpoints.source == "environment"
        assert endpoints.local is None
    assert list(tmp_path.iterdir()) == []


def test_registry_may_be_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SGBUS_BOOTSTRAP", "b:1")
    monkeypatch.delenv("SGBUS_SCHEMA_REGISTRY", raising=False)
    with session_stack(tmp_path) as endpoints:
        assert endpoints.schema_registry is None


def test_unreachable_docker_engine_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    (port,) = free_ports(1)  # nothing listens there
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{port}")
    assert docker_engine_answers(timeout=1.0) is False


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
