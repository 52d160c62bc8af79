"""The demo scenario on the session's stack, small and fast: every behaviour shows up."""

from __future__ import annotations

from pathlib import Path

import pytest

from sgbus.demo.scenario import DemoPlan, start, summary
from tests.integration.bus_helpers import bus_settings

pytestmark = pytest.mark.integration


def test_a_simulated_week_ends_with_each_behaviour_visible(stack: object, tmp_path: Path) -> None:
    settings = bus_settings(stack)
    plan = DemoPlan(results=25, penalties=6, speed=60_000, days=8)
    run, threads = start(settings, plan, tmp_path)
    for t in threads:
        t.join(240)
    assert not run.errors
    rows = {r.behaviour: r for r in summary(run) if r.behaviour != "integrated"}
    integrated = [r for r in summary(run) if r.behaviour == "integrated"]
    for r in integrated:
        assert r.delivered == r.published and r.claimed == {"integrated": r.published}
        assert r.reminders == r.auto_claims == r.breaches == 0
    never = rows["never"]
    assert never.delivered == never.published
    assert never.claimed == {"automatic": never.published} == {"automatic": never.auto_claims}
    assert rows["prompt"].claimed == {"manual": rows["prompt"].published}
    assert rows["late"].reminders > 0 and rows["late"].auto_claims == 0
    bureau = rows["bureau"]
    assert bureau.delivered == bureau.published > 0
    assert bureau.breaches == bureau.pending > 0  # unclaimed penalties end as breach reports
