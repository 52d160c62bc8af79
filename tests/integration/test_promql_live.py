"""Every PromQL expression of the dashboard and the alert rules, run on a real Prometheus.

The Prometheus fixture scrapes a process exposing the sgbus metrics with moving values, so
beyond parsing, each dashboard query must return series: a renamed metric or label in the
code would leave a panel empty, and this test fails instead.
"""

from __future__ import annotations

import time

import pytest

from tests.fixtures.prometheus import Prometheus
from tests.fixtures.promql import (
    dashboard_queries,
    grafana_to_promql,
    rule_queries,
    selectors,
    wait_for_scrapes,
)

pytestmark = [pytest.mark.integration, pytest.mark.prometheus]


@pytest.fixture(scope="module")
def scraped(prometheus: Prometheus) -> Prometheus:
    """The fixture's Prometheus once it holds enough samples for rate() and increase()."""
    wait_for_scrapes(prometheus, 6)
    return prometheus


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


@pytest.mark.parametrize(("name", "expr"), rule_queries(), ids=[n for n, _ in rule_queries()])
def test_rule_reads_series_that_exist(scraped: Prometheus, name: str, expr: str) -> None:
    missing = [s for s in selectors(expr) if not scraped.query(s).json()["data"]["result"]]
    assert missing == [], f"{name} reads series the exporter never exposes"
