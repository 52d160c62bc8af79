"""Every PromQL expression of the dashboard and the alert rules, run on a real Prometheus.

The Prometheus fixture scrapes a process exposing the sgbus metrics with moving values, so
beyond parsing, each dashboard query must return series: a renamed metric or label in the
code would leave a panel empty, and this test fails instead.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.fixtures.prometheus import DASHBOARD, RULE_FILES, Prometheus

pytestmark = pytest.mark.prometheus

# Grafana's built-in variables, replaced by values that fit a Prometheus only seconds old.
GRAFANA_VARS = {"$__rate_interval": "30s", "$__range": "1h", "$__interval": "15s"}


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expression) for every query target of the dashboard."""
    dash = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in _panels(dash["panels"]) for t in p.get("targets", [])]


def rule_queries() -> list[tuple[str, str]]:
    """(rule name, expression) for every alerting and recording rule."""
    return [
        (r.get("alert") or r["record"], r["expr"])
        for f in RULE_FILES
        for g in yaml.safe_load(f.read_text())["groups"]
        for r in g["rules"]
    ]


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's variables; an unknown variable is an error, not silently kept."""
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    left = re.findall(r"\$\{?\w+", expr)
    assert not left, f"dashboard uses variables the test does not know: {left}"
    return expr


@pytest.fixture(scope="module")
def scraped(prometheus: Prometheus) -> Prometheus:
    """The fixture's Prometheus once it holds enough samples for rate() and increase()."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = prometheus.query('count_over_time(up{job="sgbus-router"}[1m])').json()
        if r["data"]["result"] and float(r["data"]["result"][0]["value"][1]) >= 6:
            return prometheus
        time.sleep(0.5)
    pytest.fail("Prometheus did not scrape the metrics exporter 6 times within 60 s")


def test_the_dashboard_and_rules_have_queries() -> None:
    assert len(dashboard_queries()) >= 15
    assert len(rule_queries()) >= 10


@pytest.mark.parametrize(("name", "expr"), rule_queries(), ids=[n for n, _ in rule_queries()])
def test_rule_expression_is_accepted(scraped: Prometheus, name: str, expr: str) -> None:
    r = scraped.query(expr)
    assert r.status_code == 200, f"{name}: {r.json().get('error')}"
    assert r.json()["status"] == "success"


@pytest.mark.parametrize(
    ("title", "expr"), dashboard_queries(), ids=[t for t, _ in dashboard_queries()]
)
def test_dashboard_query_returns_series(scraped: Prometheus, title: str, expr: str) -> None:
    r = scraped.query(grafana_to_promql(expr))
    body = r.json()
    assert r.status_code == 200, f"panel {title!r}: {body.get('error')}"
    assert body["data"]["result"], f"panel {title!r} shows no data: {expr}"


def test_prometheus_evaluates_every_rule_without_error(scraped: Prometheus) -> None:
    import httpx

    time.sleep(2)  # at least one evaluation round at the 1 s interval
    groups = httpx.get(f"{scraped.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == len(rule_queries())
    bad = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert bad == {}
