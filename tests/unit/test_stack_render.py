"""Rendering of the broker and registry configuration and command lines."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from sgbus.bus.settings import Settings
from sgbus.stack import render
from sgbus.stack.config import StackConfig
from sgbus.stack.local import new_cluster_id


@pytest.fixture
def cfg(tmp_path: Path) -> StackConfig:
    return StackConfig(
        home=tmp_path / "home",
        state_dir=tmp_path / "state",
        kafka_port=21092,
        controller_port=21093,
        registry_port=21081,
        kafka_heap="640m",
        registry_heap="200m",
    )


def test_single_node_broker_on_loopback(cfg: StackConfig) -> None:
    props = render.server_properties(cfg)
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:21092,CONTROLLER://127.0.0.1:21093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:21092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:21093"
    assert props["log.dirs"] == str(cfg.kafka_data)
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_properties_text_escapes_backslashes() -> None:
    text = render.properties_text({"log.dirs": "C:\\kafka\\data", "a": "b"})
    assert "log.dirs=C:\\\\kafka\\\\data\n" in text
    assert text.endswith("a=b\n")
    assert text.startswith("#")


def test_broker_command_line(cfg: StackConfig) -> None:
    argv = render.kafka_server_argv("/usr/bin/java", cfg)
    assert argv[0] == "/usr/bin/java"
    assert "-Xmx640m" in argv
    assert argv[-2:] == ["kafka.Kafka", str(cfg.kafka_conf / "server.properties")]
    assert argv[argv.index("-cp") + 1] == str(cfg.kafka_dist / "libs" / "*")
    cmdline = "".join(arg + " " for arg in argv)
    assert render.marker(cfg, "kafka") in cmdline
    assert render.marker(cfg, "registry") not in cmdline


def test_marker_does_not_match_a_sibling_state_dir(cfg: StackConfig) -> None:
    sibling = StackConfig(**{**cfg.__dict__, "state_dir": Path(str(cfg.state_dir) + "2")})
    cmdline = "".join(a + " " for a in render.kafka_server_argv("java", sibling))
    assert render.marker(cfg, "kafka") not in cmdline


def test_format_uses_static_quorum_without_standalone(cfg: StackConfig) -> None:
    argv = render.kafka_format_argv("java", cfg, "abc")
    assert argv[argv.index("-t") + 1] == "abc"
    assert "--standalone" not in argv
    assert render.STORAGE_TOOL_MAIN in argv


def test_registry_binds_loopback_with_capped_heap(cfg: StackConfig) -> None:
    argv = render.registry_argv("java", cfg)
    assert "-Dquarkus.http.host=127.0.0.1" in argv
    assert "-Dquarkus.http.port=21081" in argv
    assert "-Xmx200m" in argv
    assert argv[-2] == "-jar"
    assert argv[-1].endswith("-runner.jar")
    url = render.registry_env(cfg)["REGISTRY_DATASOURCE_URL"]
    assert url.startswith(f"jdbc:h2:file:{cfg.registry_data}/")


def test_log4j2_config_writes_under_kafka_logs_dir() -> None:
    text = render.log4j2_yaml()
    assert "${sys:kafka.logs.dir}/server.log" in text
    assert "SizeBasedTriggeringPolicy" in text


def test_cluster_id_is_16_bytes_url_safe() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for text in ids:
        assert len(text) == 22
        assert not text.startswith("-")
        assert len(base64.urlsafe_b64decode(text + "==")) == 16


def test_config_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SGBUS_HOME", str(tmp_path))
    monkeypatch.setenv("SGBUS_REGISTRY_PORT", "28081")
    cfg = StackConfig.from_settings(Settings())
    assert cfg.state_dir == tmp_path / "stack"
    assert cfg.registry_url == "http://127.0.0.1:28081/apis/ccompat/v7"
    assert cfg.kafka_dist.parent == tmp_path / "dist"
    monkeypatch.setenv("SGBUS_STACK_DIR", str(tmp_path / "other"))
    assert StackConfig.from_settings(Settings()).state_dir == tmp_path / "other"
