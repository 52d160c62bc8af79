"""docker-compose.yml cannot run here (no Docker engine): check it against the settings instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sgbus.bus.settings import Settings
from sgbus.stack.config import REGISTRY_API_PATH

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
VARIABLE = re.compile(r"\$\{(SGBUS_[A-Z0-9_]+)(?::-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _default(field: str) -> str:
    return str(Settings.model_fields[field].default)


def _resolve(text: str) -> str:
    """Substitute each ${SGBUS_X:-default} by its default, as compose does with no .env."""
    return VARIABLE.sub(lambda m: m.group(2) or "", text)


def _host_port(service: dict[str, Any]) -> int:
    mapping = _resolve(service["ports"][0])
    host, port, _container = mapping.split(":")
    assert host == "127.0.0.1", "published ports stay on loopback"
    return int(port)


def test_expected_services(compose: dict[str, Any]) -> None:
    assert {"kafka", "schema-registry", "postgres", "prometheus", "grafana"} <= set(
        compose["services"]
    )


def test_every_sgbus_variable_is_a_setting_with_the_same_default() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    found = VARIABLE.findall(text)
    assert found, "compose uses SGBUS_* variables"
    for name, default in found:
        field = name.removeprefix("SGBUS_").lower()
        assert field in Settings.model_fields, f"{name} is not a setting"
        assert default == _default(field), f"{name} default {default!r} != {_default(field)!r}"


def test_service_environment_names_are_settings(compose: dict[str, Any]) -> None:
    env = compose["x-sgbus-env"]
    for name in env:
        assert name.startswith("SGBUS_")
        assert name.removeprefix("SGBUS_").lower() in Settings.model_fields, name
    assert env["SGBUS_SCHEMA_REGISTRY"].endswith(REGISTRY_API_PATH)
    assert env["SGBUS_BOOTSTRAP"] == "kafka:9092"


def test_published_ports_match_the_local_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert _host_port(services["kafka"]) == int(_default("kafka_port"))
    assert _host_port(services["schema-registry"]) == int(_default("registry_port"))
    kafka_env = {k: _resolve(str(v)) for k, v in services["kafka"]["environment"].items()}
    assert f"HOST://127.0.0.1:{_default('kafka_port')}" in kafka_env["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka_env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    assert kafka_env["KAFKA_HEAP_OPTS"].endswith(f"-Xmx{_default('kafka_heap')}")


def test_same_versions_as_the_local_stack(compose: dict[str, Any]) -> None:
    from sgbus.stack.versions import kafka_version, registry_version

    services = compose["services"]
    assert services["kafka"]["image"].endswith(f":{kafka_version()}")
    assert services["schema-registry"]["image"].endswith(f":{registry_version()}")


def test_mounted_files_exist(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{source} is mounted but missing"


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> repository path of the service's bind mounts."""
    pairs = (volume.split(":")[:2] for volume in service.get("volumes", []))
    return {target: source for source, target in pairs if source.startswith("./")}


def test_prometheus_and_grafana_use_the_monitoring_config(compose: dict[str, Any]) -> None:
    prometheus, grafana = compose["services"]["prometheus"], compose["services"]["grafana"]
    assert _mounts(prometheus) == {"/etc/prometheus": "./monitoring/prometheus"}
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "--web.listen-address=127.0.0.1:19090" in prometheus["command"]
    # The config scrapes loopback targets: only on the host's network do they reach the services.
    assert prometheus["network_mode"] == grafana["network_mode"] == "host"
    assert _mounts(grafana) == {
        "/etc/grafana/provisioning": "./monitoring/grafana/provisioning",
        "/var/lib/grafana/dashboards/sgbus": "./monitoring/grafana/dashboards",
    }


def test_one_prometheus_config_in_the_repository() -> None:
    configs = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*.yml")
        if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
        and "scrape_configs" in p.read_text(encoding="utf-8")
    ]
    assert sorted(configs) == [
        "monitoring/prometheus/demo.yml",
        "monitoring/prometheus/prometheus.yml",
    ]
