"""Alert rules, scrape configuration and metric names, checked by Debian's promtool."""

from __future__ import annotations

import subprocess

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


def test_rule_files_are_valid() -> None:
    assert RULE_FILES, "no rule files in monitoring/prometheus/rules"
    _ok(promtool("check", "rules", *map(str, RULE_FILES)))


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


def test_scrape_config_is_valid_and_uses_the_local_port_plan() -> None:
    _ok(promtool("check", "config", "prometheus.yml"))
    config = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    targets = {
        job["job_name"].removeprefix("sgbus-"): t
        for job in config["scrape_configs"]
        for sc in job["static_configs"]
        for t in sc["targets"]
    }
    for service in ("router", "watchdog", "department"):
        assert targets[service] == f"127.0.0.1:{LOCAL_PORTS[service]}"


def test_demo_scrape_config_scrapes_the_demo_port_under_every_service_job() -> None:
    _ok(promtool("check", "config", "demo.yml"))
    config = yaml.safe_load((PROM_DIR / "demo.yml").read_text())
    targets = {
        job["job_name"]: t
        for job in config["scrape_configs"]
        for sc in job["static_configs"]
        for t in sc["targets"]
    }
    for job in ("sgbus-router", "sgbus-watchdog", "sgbus-department"):
        assert targets[job] == f"127.0.0.1:{LOCAL_PORTS['demo']}"


def test_exposed_metrics_follow_prometheus_naming_conventions() -> None:
    from tests.fixtures.metrics_exporter import step

    step(1)  # touch every metric so each family has samples
    text = generate_latest(REGISTRY)
    assert b"sgbus_answer_delay_working_seconds_bucket" in text
    _ok(promtool("check", "metrics", stdin=text))
