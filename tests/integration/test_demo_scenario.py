"""The demo scenario on the session's stack, small and fast: every behaviour shows up."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
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


def test_the_demo_console_follows_the_week(
    stack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import func, select

    from sgbus.bus.store.tables import console_items
    from sgbus.demo.console import DemoConsole, start_demo_console
    from sgbus.demo.scenario import Running
    from sgbus.stack.testing import free_ports

    settings = bus_settings(stack)
    (port,) = free_ports(1)
    monkeypatch.setenv("SGBUS_CONSOLE_PORT", str(port))
    plan = DemoPlan(results=10, penalties=2, speed=60_000, days=4)
    sites: list[DemoConsole] = []

    def serve(run: Running) -> None:
        sites.append(start_demo_console(settings, stack.local.cfg, run, tmp_path, plan.policy))

    run, threads = start(settings, plan, tmp_path, serve)
    (site,) = sites
    try:
        assert {login.username for login in site.logins} >= {"weihai-oversight", "demo-admin"}
        assert httpx.get(f"{site.site.url}/healthz").json() == {"ok": True}
        for t in threads:
            t.join(240)
        assert not run.errors
        never = next(r for r in summary(run) if r.behaviour == "never")
        party = next(r.party for r in run.roles if r.behaviour == "never")
        deadline = time.monotonic() + 60
        while True:
            with site.console.engine.connect() as conn:
                listed = conn.execute(
                    select(func.count())
                    .select_from(console_items)
                    .where(console_items.c.party == party)
                ).scalar_one()
            if listed == never.delivered or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert listed == never.delivered > 0
    finally:
        site.close()
