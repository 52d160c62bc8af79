"""Who takes part in the demo: 威海 alone under one policy, every city of a policy map under it."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import approval_case_key
from sgbus.demo.cast import (
    APPROVAL,
    BEHAVIOURS,
    OVERSIGHT,
    all_parties,
    cast,
    cities_of,
    city_of_party,
    pick_roles,
)
from sgbus.demo.scenario import Row, city_totals
from sgbus.demo.synthetic import WEIHAI, Issuer, approval_result


def test_one_policy_runs_weihai_alone_as_before() -> None:
    (city,) = cities_of("anqiu")
    assert (city.region, city.approval, city.oversight) == ("371000", APPROVAL, OVERSIGHT)
    roles = cast([city])
    assert [r.behaviour for r in roles] == list(BEHAVIOURS)
    assert {r.city for r in roles} == {"371000"}
    assert all(r.party.startswith("weihai-") for r in roles)
    assert roles == pick_roles(example_catalogue())


def test_a_policy_map_brings_every_city_with_its_own_parties() -> None:
    cities = cities_of("shandong")
    assert [c.rules for c in cities] == ["weihai", "zichuan", "anqiu"]
    assert [(c.region, c.approval, c.oversight) for c in cities] == [
        ("371000", "weihai-approval", "weihai-oversight"),
        ("370302", "zichuan-approval", "zichuan-oversight"),
        ("370784", "anqiu-approval", "anqiu-oversight"),
    ]
    roles = cast(cities)
    prefixes = {"371000": "weihai-", "370302": "zichuan-", "370784": "anqiu-"}
    assert len(roles) == 3 * len(BEHAVIOURS)
    for role in roles:
        assert role.party.startswith(prefixes[role.city])
        city = next(c for c in cities if c.region == role.city)
        # the matter is the city's own, supervised by that department alone
        assert [p.id for p in city.catalogue.supervisors_of(role.matter, role.city)] == [role.party]
    parties = all_parties(cities, roles)
    assert len(parties) == len(set(parties)) == 6 + len(roles)
    owner = city_of_party(cities, roles)
    assert all(owner[p].startswith("37") and p.startswith(prefixes[owner[p]]) for p in parties)


def test_behaviours_can_be_chosen_per_city() -> None:
    roles = cast(cities_of("shandong"), ("integrated", "late", "never"))
    assert [r.behaviour for r in roles] == ["integrated", "late", "never"] * 3
    late = next(r for r in roles if r.behaviour == "late")
    assert late.claim_at is not None and roles[0].claim_at is None
    monday = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    assert late.claim_at(monday) > monday + dt.timedelta(days=2)


def test_too_few_single_department_matters_is_an_error() -> None:
    with pytest.raises(ValueError, match="fewer than 6"):
        pick_roles(cities_of("shandong")[1].catalogue, "370302", ("never",) * 6)


def test_results_of_a_city_name_its_bureau_and_place() -> None:
    city = cities_of("shandong")[2]
    matter = city.catalogue.matters[0]
    at = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)
    event = approval_result(
        matter, 7, sender=city.approval, region=city.region, decided_at=at,
        rng=random.Random(1), issuer=city.issuer,
    )  # fmt: skip
    assert event.licensing_authority.name == "安丘市行政审批服务局"
    assert event.document_number == "安审批〔2026〕7号"
    assert event.licensee.name.startswith("潍坊市安丘市")
    assert event.envelope.case_key == approval_case_key("370784", event.document_number)
    assert WEIHAI.short == "威" and Issuer("x局", "淄博市淄川区").short == "淄"


def test_weihai_results_are_unchanged_by_the_issuer() -> None:
    matter = example_catalogue().matters[0]
    at = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)
    event = approval_result(
        matter, 9, sender=APPROVAL, region="371000", decided_at=at, rng=random.Random(2)
    )
    assert event.document_number == "威审批〔2026〕9号"
    assert event.licensing_authority.name == "威海市行政审批服务局"
    assert event.licensee.address is not None
    assert event.licensee.address.startswith("山东省威海市环翠区新威路")


def _row(city: str, party: str, **n: int) -> Row:
    def get(key: str) -> int:
        return n.get(key, 0)

    claimed = {"manual": get("claimed")}
    return Row(
        party, "x", get("published"), get("delivered"), claimed, get("pending"),
        get("reminders"), get("auto_claims"), get("breaches"), city,
    )  # fmt: skip


def test_city_totals_add_up_each_citys_rows() -> None:
    rows = [
        _row("371000", "weihai-a", published=3, delivered=3, claimed=2, breaches=1),
        _row("370784", "anqiu-a", published=4, delivered=4, auto_claims=4),
        _row("371000", "weihai-b", published=1, delivered=1, claimed=1),
    ]
    totals = {t.city: t for t in city_totals(rows)}
    assert list(totals) == ["371000", "370784"]
    assert (totals["371000"].published, totals["371000"].claimed) == (4, 3)
    assert totals["371000"].breaches == 1 and totals["370784"].auto_claims == 4


def test_simulated_time_stands_still_until_the_actors_start() -> None:
    from sgbus.consumers.watchdog.clock import SimulatedClock
    from sgbus.demo.scenario import StartGate

    gate = StartGate()
    start = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    clock = SimulatedClock(start, 1e9, monotonic=gate)
    assert clock.now() == start  # services connecting: no simulated time passes
    gate.release()
    while clock.now() == start:  # a billion times real time: moves within microseconds
        pass
    assert clock.now() > start
