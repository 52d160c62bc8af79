"""The centre's dashboard and 通报 on a bus under a policy map: the province, or one city."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sgbus.bus.obligations.ingest import AuditRecord
from sgbus.bus.policy import load_policy
from sgbus.bus.regions import Jurisdiction, Regions
from sgbus.console.runtime import Console
from tests.console_web import client_for, console_for, feed, log_in
from tests.watchdog_kit import Scene, at, city_catalogue

W, A = Scene("weihai"), Scene("anqiu")
MON = at("2026-10-12", "10:00")
PERIOD = "from=2026-10-01&to=2026-10-31"


def _regions() -> Regions:
    return Regions(
        "two-cities",
        "两市",
        (
            Jurisdiction("371000", "威海市", load_policy("weihai"), city_catalogue("weihai")),
            Jurisdiction("370784", "潍坊市安丘市", load_policy("anqiu"), city_catalogue("anqiu")),
        ),
    )


@pytest.fixture
def console(tmp_path: Path) -> Console:
    regions = _regions()
    base = console_for(tmp_path, MON + timedelta(days=1))
    made = replace(base, catalogue=regions.catalogue, regions=regions)
    results = [W.approval_result(1, MON), W.approval_result(2, MON), A.approval_result(3, MON)]
    feed(made, *(AuditRecord(r, tuple(r.envelope.recipients or ())) for r in results))
    return made


@pytest.fixture
def client(console: Console) -> TestClient:
    c = client_for(console)
    log_in(c, "zhao.lei", W.party("oversight"), "officer", "oversight")
    return c


def _parties(html: str) -> set[str]:
    return {p for p in ("weihai-market", "anqiu-market") if f'data-party="{p}"' in html}


def test_the_province_view_has_every_city_and_a_line_per_city(client: TestClient) -> None:
    page = client.get(f"/centre?{PERIOD}")
    assert page.status_code == 200
    assert _parties(page.text) == {"weihai-market", "anqiu-market"}
    assert 'data-city="371000"' in page.text and 'data-city="370784"' in page.text
    assert ">全省</option>" in page.text and "潍坊市安丘市" in page.text


def test_a_city_view_has_that_citys_departments_only(client: TestClient) -> None:
    page = client.get(f"/centre?{PERIOD}&city=370784")
    assert page.status_code == 200
    assert _parties(page.text) == {"anqiu-market"}
    assert 'data-city="' not in page.text  # no per-city lines inside one city
    assert "city=370784&format=xlsx" in page.text  # the downloads keep the city


def test_the_report_of_one_city_and_unknown_cities(client: TestClient) -> None:
    got = client.get(f"/centre/report?{PERIOD}&city=370784&format=csv")
    assert got.status_code == 200
    assert "tongbao-2026-10-01-2026-10-31-370784.csv" in got.headers["content-disposition"]
    assert "anqiu-market" in got.text and "weihai-market" not in got.text
    for url in ("/centre?city=370500", "/centre/report?city=x&format=csv"):
        bad = client.get(url)
        assert bad.status_code == 400 and "city" in bad.text


def test_without_a_map_there_is_no_city_choice(tmp_path: Path) -> None:
    c = client_for(console_for(tmp_path, MON))
    log_in(c, "zhao.lei", W.party("oversight"), "officer", "oversight")
    page = c.get("/centre")
    assert page.status_code == 200 and "全省" not in page.text
    assert c.get("/centre?city=371000").status_code == 400
