"""Alert rules, scrape configuration and metric names, checked by Debian's promtool.

The promtool checks start a process, so they are ``integration`` (and ``prometheus``); the checks
of the files' content are not.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest

from sgbus.monitoring.endpoint import LOCAL_PORTS
from tests.fixtures.prometheus import PROM_DIR, RULE_FILES, RULE_TESTS, find_binary


def promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("promtool"), *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROM_DIR,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
@pytest.mark.prometheus
def test_rule_files_are_valid() -> None:
    assert RULE_FILES, "no rule files in monitoring/prometheus/rules"
    _ok(promtool("check", "rules", *map(str, RULE_FILES)))


@pytest.mark.integration
@pytest.mark.prometheus
def test_rule_unit_tests_pass() -> None:
    assert RULE_TESTS, "no promtool tests in monitoring/prometheus/tests"
    _ok(promtool("test", "rules", *map(str, RULE_TESTS)))


def test_every_alert_has_a_test() -> None:
    alerts = {
        r["alert"]
        for f in RULE_FILES
        for g in yaml.safe_load(f.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    tested = {
        t["alertname"]
        for f in RULE_TESTS
        for case in yaml.safe_load(f.read_text())["tests"]
        for t in case.get("alert_rule_test", [])
        if t.get("exp_alerts")
    }
    assert alerts - tested == set(), "alerts never shown to fire in a test"


@pytest.mark.integration
@pytest.mark.prometheus
@pytest.mark.parametrize("config", ["prometheus.yml", "demo.yml"])
def test_scrape_config_is_valid(config: str) -> None:
    _ok(promtool("check", "config", config))


def _targets(config: str) -> dict[str, str]:
    """Job name -> scraped target of a scrape configuration with one target per job."""
    data = yaml.safe_load((PROM_DIR / config).read_text())
    return {
        job["job_name"]: t
        for job in data["scrape_configs"]
        for sc in job["static_configs"]
        for t in sc["targets"]
    }


def test_scrape_config_uses_the_local_port_plan() -> None:
    targets = _targets("prometheus.yml")
    for service in ("router", "watchdog", "department", "connector", "gateway"):
        assert targets[f"sgbus-{service}"] == f"127.0.0.1:{LOCAL_PORTS[service]}"


def test_demo_scrape_config_scrapes_the_demo_port_under_every_service_job() -> None:
    targets = _targets("demo.yml")
    for job in ("sgbus-router", "sgbus-watchdog", "sgbus-department"):
        assert targets[job] == f"127.0.0.1:{LOCAL_PORTS['demo']}"


@pytest.mark.integration
@pytest.mark.prometheus
def test_exposed_metrics_follow_prometheus_naming_conventions() -> None:
    from tests.fixtures.metrics_exporter import step

    step(1)  # touch every metric so each family has samples
    text = generate_latest(REGISTRY)
    assert b"sgbus_answer_delay_working_seconds_bucket" in text
    _ok(promtool("check", "metrics", stdin=text))
