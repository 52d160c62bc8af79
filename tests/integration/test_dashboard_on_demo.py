"""The dashboard and the alert rules against the real services: the demo, scraped by Prometheus.

The demo scenario runs in this process (router, department services, watchdog on a simulated
clock, on the session's broker) and serves its metrics on a free port; Debian's Prometheus
scrapes that port every second under the router, watchdog and department job names, as
``monitoring/prometheus/demo.yml`` does. Unlike the stand-in exporter of
``test_promql_live.py``, nothing here sets a metric directly: a panel has data only if a service
really updates what the panel reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from sgbus.consumers.department.service import group_id
from sgbus.consumers.router.service import GROUP_ID as ROUTER_GROUP
from sgbus.demo.scenario import APPROVAL, DemoPlan, start
from tests.fixtures.prometheus import Prometheus, free_port, running_prometheus
from tests.fixtures.promql import (
    dashboard_queries,
    grafana_to_promql,
    rule_queries,
    selectors,
    wait_for_scrapes,
)
from tests.integration.bus_helpers import bus_settings

pytestmark = [pytest.mark.integration, pytest.mark.prometheus]

# Small and fast, yet every behaviour shows (as in test_demo_scenario.py); samples every second.
PLAN = DemoPlan(results=25, penalties=6, speed=60_000, days=8, sample_interval_s=1.0)


@pytest.fixture(scope="module")
def scraped(
    stack: object,
    tmp_path_factory: pytest.TempPathFactory,
    before_the_demo: dict[tuple[str, str], float],
) -> Iterator[Prometheus]:
    """Prometheus after it scraped a whole demo run, and the final state a few times."""
    port = free_port()
    settings = bus_settings(stack).model_copy(
        update={"metrics_port": port, "metrics_host": "127.0.0.1"}
    )
    with running_prometheus(tmp_path_factory.mktemp("prometheus-demo"), port) as url:
        prom = Prometheus(url, port)
        run, threads = start(settings, PLAN, tmp_path_factory.mktemp("demo"))
        try:
            for t in threads:
                t.join(180)
            assert not run.errors
            assert run.monitoring is not None and run.monitoring.port == port
            wait_for_scrapes(prom, 10)
            time.sleep(3)  # the last gauge and lag samples scraped, rules evaluated on them
            yield prom
        finally:
            run.stop.set()
            if run.monitoring is not None:
                run.monitoring.close()


def _demo_runs(expr: str) -> bool:
    """The demo runs no connector: their panels and alert are checked against the stand-in
    exporter (test_promql_live.py), and the connectors' metrics by the conformance suites."""
    return "sgbus_connector_" not in expr


DEMO_PANELS = [(t, e) for t, e in dashboard_queries() if _demo_runs(e)]
DEMO_RULES = [(n, e) for n, e in rule_queries() if _demo_runs(e)]


@pytest.mark.parametrize(("title", "expr"), DEMO_PANELS, ids=[t for t, _ in DEMO_PANELS])
def test_dashboard_panel_shows_data_from_the_demo(
    scraped: Prometheus, title: str, expr: str
) -> None:
    body = scraped.query(grafana_to_promql(expr)).json()
    assert body["status"] == "success", f"panel {title!r}: {body.get('error')}"
    assert body["data"]["result"], f"panel {title!r} shows no data from the demo: {expr}"


@pytest.mark.parametrize(("name", "expr"), DEMO_RULES, ids=[n for n, _ in DEMO_RULES])
def test_alert_rule_reads_series_the_demo_exposes(
    scraped: Prometheus, name: str, expr: str
) -> None:
    """An alert's expression has series only while it fires, so each series it reads must
    exist instead: a selector naming a metric or label no service sets would never fire."""
    body = scraped.query(expr).json()
    assert body["status"] == "success", f"{name}: {body.get('error')}"
    missing = [s for s in selectors(expr) if not scraped.query(s).json()["data"]["result"]]
    assert missing == [], f"{name} reads series the demo never exposes"


def test_prometheus_evaluates_every_rule_with_health_ok(scraped: Prometheus) -> None:
    groups = httpx.get(f"{scraped.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == len(rule_queries())
    bad = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert bad == {}


def test_lag_is_sampled_for_the_router_the_watchdog_and_the_departments(
    scraped: Prometheus,
) -> None:
    result = scraped.query("count by (group) (sgbus_consumer_lag_records)").json()["data"]
    groups = {r["metric"]["group"] for r in result["result"]}
    assert {ROUTER_GROUP, "sgbus-watchdog", group_id(APPROVAL)} <= groups


#: Counters (and heartbeat timestamps) the demo must raise, by metric sample name and labels.
#: Compared with this process's registry before the demo, because earlier tests may have left
#: the same series behind, and because ``increase()`` cannot see a series born in one burst.
RAISED_BY_THE_DEMO: list[tuple[str, dict[str, str]]] = [
    *[("sgbus_events_in_total", {"service": s}) for s in ("router", "department", "watchdog")],
    ("sgbus_events_out_total", {"service": "router"}),
    ("sgbus_events_out_total", {"service": "watchdog"}),
    ("sgbus_delivery_delay_seconds_count", {}),
    ("sgbus_answer_delay_working_seconds_count", {}),
    ("sgbus_obligations_opened_total", {}),
    ("sgbus_obligations_discharged_total", {}),
    *[
        ("sgbus_obligation_outcomes_total", {"event_type": k})
        for k in ("ObligationReminder", "AutoClaim", "ObligationBreach")
    ],
    *[
        ("sgbus_heartbeat_timestamp_seconds", {"service": s})
        for s in ("router", "department", "watchdog")
    ],
]


def _registry_total(name: str, matchers: dict[str, str]) -> float:
    return sum(
        s.value
        for family in REGISTRY.collect()
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in matchers.items())
    )


@pytest.fixture(scope="module")
def before_the_demo() -> dict[tuple[str, str], float]:
    """This process's totals of :data:`RAISED_BY_THE_DEMO` before the demo starts."""
    return {(n, repr(m)): _registry_total(n, m) for n, m in RAISED_BY_THE_DEMO}


@pytest.mark.parametrize(
    ("name", "matchers"), RAISED_BY_THE_DEMO, ids=[f"{n}{m}" for n, m in RAISED_BY_THE_DEMO]
)
def test_the_demo_raises_what_the_panels_read(
    before_the_demo: dict[tuple[str, str], float],
    scraped: Prometheus,
    name: str,
    matchers: dict[str, str],
) -> None:
    labels = ",".join(['job="sgbus-router"', *(f'{k}="{v}"' for k, v in matchers.items())])
    result = scraped.query(f"sum({name}{{{labels}}})").json()["data"]["result"]
    assert result, f"Prometheus has no {name}{matchers}"
    before = before_the_demo[(name, repr(matchers))]
    assert float(result[0]["value"][1]) > before, f"the demo did not raise {name}{matchers}"


@pytest.mark.parametrize(
    "expr", ["changes(sgbus_obligations_open[5m])", "sgbus_obligations_overdue"]
)
def test_the_demo_moves_the_obligation_gauges(scraped: Prometheus, expr: str) -> None:
    assert scraped.query(f"max({expr}) > 0").json()["data"]["result"], f"{expr} stayed at zero"
