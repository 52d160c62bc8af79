"""The metrics' ``city`` label: the policy-map entry an event's region resolved to, bounded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.obligations.model import Obligation, Outcome, OutcomeKind
from sgbus.bus.policy import load_policy
from sgbus.bus.regions import build_regions, load_regions, parse_policy_map, single
from sgbus.monitoring import metrics
from sgbus.monitoring.cities import CityLabels, configure_cities, current_cities
from sgbus.monitoring.obligation_gauges import GroupCount, gauge_values
from tests import factories

SHANDONG = load_regions("shandong")
CITIES = CityLabels(SHANDONG)


@pytest.fixture
def shandong_process() -> Iterator[None]:
    """This process runs under the shandong map for the test, and without one after."""
    configure_cities(SHANDONG)
    try:
        yield
    finally:
        configure_cities(None)


def test_a_region_gets_the_code_of_the_map_entry_covering_it() -> None:
    assert CITIES.label("371000") == "371000"
    assert CITIES.label("371002") == "371000"  # 环翠区 follows 威海
    assert CITIES.label("370302") == "370302"
    assert CITIES.label("370784") == "370784"
    assert CITIES.label("370500") == "other"  # 东营: not in the map
    assert CITIES.label("鲁(2026)1号") == "other"
    assert CITIES.label(None) == ""  # not attributed to a region
    assert CITIES.values() == {"", "other", "371000", "370302", "370784"}
    assert CITIES.names()["370784"] == "潍坊市安丘市"


def test_a_single_policy_bus_has_no_city() -> None:
    for labels in (CityLabels(), CityLabels(single(load_policy("anqiu"), example_catalogue()))):
        assert not labels.is_map
        assert labels.label("371000") == labels.label("370500") == ""
        assert labels.values() == {""} and labels.names() == {}


def test_a_default_entry_is_its_own_city() -> None:
    pmap = parse_policy_map(
        "name: demo\ntitle: t\nregions:\n"
        "  - {region: '371000', name: 威海市, policy: weihai, catalogue: weihai}\n"
        "default: {name: 其他, policy: anqiu, catalogue: weihai}\n"
    )
    labels = CityLabels(build_regions(pmap))
    assert labels.label("370500") == "default" and labels.label("371082") == "371000"
    assert labels.values() == {"", "other", "default", "371000"}


@given(st.one_of(st.text(max_size=12), st.from_regex(r"\d{6}", fullmatch=True)))
def test_whatever_the_region_the_label_is_one_of_the_maps(region: str) -> None:
    assert CITIES.label(region) in CITIES.values()


def _value(name: str, **lab: str) -> float:
    return REGISTRY.get_sample_value(name, lab) or 0.0


@pytest.mark.usefixtures("shandong_process")
def test_obligation_metrics_carry_the_city_of_the_obligations_region() -> None:
    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
    o = factories.opening(debtor="anqiu-market", region="370784", opened_at=t0)
    lab = {"party": "anqiu-market", "flow": "claim", "city": "370784"}
    before = _value("sgbus_obligations_opened_total", **lab)
    auto = _value("sgbus_obligation_outcomes_total", event_type="AutoClaim", **lab)
    metrics.record_obligations_opened([o])
    metrics.record_outcomes([Outcome("e1", OutcomeKind.AUTO_CLAIM, Obligation(o), o.due_at)])
    metrics.record_discharged("anqiu-market", "claim", "370784")
    metrics.observe_answer_delay("anqiu-market", "claim", 2.0, "370784")
    assert _value("sgbus_obligations_opened_total", **lab) == before + 1
    assert _value("sgbus_obligation_outcomes_total", event_type="AutoClaim", **lab) == auto + 1
    assert _value("sgbus_obligations_discharged_total", **lab) >= 1
    assert _value("sgbus_answer_delay_working_seconds_count", **lab) >= 1
    assert current_cities().is_map


@pytest.mark.usefixtures("shandong_process")
def test_router_traffic_carries_the_city_and_unknown_regions_are_other() -> None:
    lab = {"service": "router", "party": "zichuan-approval", "event_type": "ApprovalResult"}
    b_city = _value("sgbus_events_in_total", city="370302", **lab)
    b_other = _value("sgbus_events_in_total", city="other", **lab)
    metrics.record_event_in("router", "zichuan-approval", "ApprovalResult", region="370302")
    metrics.record_event_in("router", "zichuan-approval", "ApprovalResult", region="999999")
    assert _value("sgbus_events_in_total", city="370302", **lab) == b_city + 1
    assert _value("sgbus_events_in_total", city="other", **lab) == b_other + 1


@pytest.mark.usefixtures("shandong_process")
def test_gauges_count_per_city() -> None:
    def group(region: str, n: int) -> GroupCount:
        return GroupCount("x-housing", "claim", "open", False, False, False, n, region)

    values = gauge_values([group("371000", 2), group("371002", 3), group("370302", 1)])
    assert values.open == {("x-housing", "claim", "371000"): 5, ("x-housing", "claim", "370302"): 1}
