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
        internal_port=21094,
        identity_port=21443,
    )


@pytest.fixture
def plain(cfg: StackConfig) -> StackConfig:
    return StackConfig(**{**cfg.__dict__, "secured": False})


def test_single_node_broker_on_loopback(plain: StackConfig) -> None:
    cfg = plain
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


def test_secured_broker_listeners_are_all_tls(cfg: StackConfig) -> None:
    props = render.server_properties(cfg)
    assert props["listener.security.protocol.map"] == (
        "CLIENTS:SASL_SSL,CONTROLLER:SSL,INTERNAL:SSL"
    )
    assert "PLAINTEXT" not in props["listeners"]
    assert props["advertised.listeners"] == ("CLIENTS://127.0.0.1:21092,INTERNAL://127.0.0.1:21094")
    assert props["ssl.client.auth"] == "required"  # controller and broker: mutual TLS
    assert props["listener.name.clients.ssl.client.auth"] == "none"  # clients: tokens
    assert props["ssl.keystore.location"] == str(render.kafka_keystore(cfg))
    assert props["log.dirs"] == str(cfg.kafka_data)
    assert props["transaction.state.log.min.isr"] == "1"


def test_secured_broker_checks_tokens_of_the_realm(cfg: StackConfig) -> None:
    props = render.server_properties(cfg)
    assert props["sasl.enabled.mechanisms"] == "OAUTHBEARER"
    assert props["sasl.oauthbearer.jwks.endpoint.url"] == (
        "https://127.0.0.1:21443/realms/sgbus/protocol/openid-connect/certs"
    )
    assert props["sasl.oauthbearer.expected.issuer"] == "https://127.0.0.1:21443/realms/sgbus"
    assert props["sasl.oauthbearer.expected.audience"] == "sgbus"
    assert props["sasl.oauthbearer.sub.claim.name"] == "azp"
    assert props["connections.max.reauth.ms"] == str(cfg.token_lifespan_s * 1000)
    argv = render.kafka_server_argv("java", cfg)
    allowed = [a for a in argv if a.startswith("-Dorg.apache.kafka.sasl.oauthbearer.allowed")]
    assert allowed and props["sasl.oauthbearer.jwks.endpoint.url"] in allowed[0]


def test_secured_broker_denies_what_no_acl_allows(cfg: StackConfig) -> None:
    props = render.server_properties(cfg)
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["auto.create.topics.enable"] == "false"
    assert props["super.users"] == "User:sgbus-broker"
    assert "StandardAuthorizer" in props["authorizer.class.name"]
    extra = StackConfig(**{**cfg.__dict__, "extra_super_users": ("sgbus-test-inspector",)})
    assert render.server_properties(extra)["super.users"] == (
        "User:sgbus-broker;User:sgbus-test-inspector"
    )


def test_secured_registry_is_https_only_and_authenticates(cfg: StackConfig) -> None:
    argv = render.registry_argv("java", cfg, "pw")
    assert "-Dquarkus.http.ssl-port=21081" in argv
    assert "-Dquarkus.http.insecure-requests=disabled" in argv
    assert f"-Dquarkus.http.ssl.certificate.files={cfg.pki_dir / 'server.pem'}" in argv
    env = render.registry_env(cfg)
    assert env["AUTH_ENABLED"] == "true"
    assert env["KEYCLOAK_URL"] == "https://127.0.0.1:21443"
    assert env["REGISTRY_AUTH_ROLES_ADMIN"] == "registry-admin"
    assert env["REGISTRY_AUTH_ROLES_READONLY"] == "registry-reader"
    assert env["REGISTRY_AUTH_ANONYMOUS_READS_ENABLED"] == "false"
    assert cfg.registry_url.startswith("https://")


def test_registry_binds_loopback_with_capped_heap(plain: StackConfig) -> None:
    cfg = plain
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
    monkeypatch.delenv("SGBUS_STACK_DIR", raising=False)
    cfg = StackConfig.from_settings(Settings())
    assert cfg.state_dir == tmp_path / "stack"
    assert cfg.registry_url == "http://127.0.0.1:28081/apis/ccompat/v7"
    assert cfg.kafka_dist.parent == tmp_path / "dist"
    monkeypatch.setenv("SGBUS_STACK_DIR", str(tmp_path / "other"))
    assert StackConfig.from_settings(Settings()).state_dir == tmp_path / "other"
