"""The demo under the ``shandong`` policy map on the session's stack: three cities on one bus,
each city's results routed to its own departments and judged by its own rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sgbus.bus.calendar import default_calendar
from sgbus.bus.regions import load_regions
from sgbus.bus.store.tables import inbox_items, obligations
from sgbus.demo.cast import all_parties, cast, cities_of
from sgbus.demo.scenario import DemoPlan, start, summary
from tests.integration.bus_helpers import bus_settings

pytestmark = pytest.mark.integration
BEHAVIOURS = ("integrated", "late", "never")


def test_three_cities_run_on_one_bus_each_under_its_own_rules(
    stack: object, tmp_path: Path
) -> None:
    settings = bus_settings(stack)
    cities = cities_of("shandong")
    for party in all_parties(cities, cast(cities, BEHAVIOURS)):
        if not party.startswith("weihai-"):
            stack.enroll(party)  # type: ignore[attr-defined]
    plan = DemoPlan(
        results=18, penalties=3, speed=60_000, days=6, policy="shandong", behaviours=BEHAVIOURS
    )
    run, threads = start(settings, plan, tmp_path)
    for t in threads:
        t.join(240)
    assert not run.errors
    rows = summary(run)
    assert {r.city for r in rows} == {"371000", "370302", "370784"}
    # Each city's results reached only that city's departments.
    for role in run.roles:
        city = run.city(role.city)
        with run.engines[role.party].connect() as conn:
            results = inbox_items.c.event_type == "ApprovalResult"
            items = conn.execute(
                select(inbox_items.c.case_key, inbox_items.c.sender).where(results)
            ).all()
        assert len(items) == run.published[role.party] > 0
        # an approval result's case key is <region>:<document number>
        assert {(key.split(":")[0], sender) for key, sender in items} == {
            (city.region, city.approval)
        }
    # Each city's deadlines and expiry actions are its own policy's.
    with run.watchdog_engine.connect() as conn:
        claims = conn.execute(select(obligations).where(obligations.c.flow == "claim")).all()
    debtors = {r.party: r for r in run.roles}
    by_city: dict[str, set[str]] = {}
    for ob in claims:
        role = debtors[ob.debtor]
        assert ob.region == role.city
        found = load_regions("shandong").resolve(role.city)
        assert found is not None
        policy = found.policy
        due = policy.deadline("claim", ob.anchor_at, default_calendar()).due_at
        assert ob.due_at == due
        by_city.setdefault(ob.region, set()).add(ob.action)
    # 威海 reports a missed claim, 安丘 auto-claims it, 淄川's rules have no claim deadline.
    assert by_city == {"371000": {"breach-report"}, "370784": {"auto-claim"}}
    never = {r.city: r for r in rows if r.behaviour == "never"}
    assert never["371000"].breaches == never["371000"].delivered > 0
    assert never["370784"].auto_claims == never["370784"].delivered > 0
    assert never["370302"].pending == never["370302"].delivered > 0
    assert never["370302"].breaches == never["370302"].auto_claims == 0
