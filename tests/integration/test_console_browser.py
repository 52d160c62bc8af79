"""The 审管互动平台 in a real browser (Debian's chromium), on the real secured stack.

Officers log in through the stack's identity provider; items come from the approval bureau
through the router; claims and replies go out as the console for the officer's party and come
back through the router to the bureau's inbox, the console's lists and the watchdog.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sgbus.bus import headers as h
from sgbus.bus.events import ConsultationLetter, event_class, new_envelope
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store.tables import obligations
from sgbus.console import actions
from sgbus.console.readmodel.queries import get_item
from sgbus.console.runtime import Console, build_console
from sgbus.console.serve import Serving, projector_thread, serving
from sgbus.console.web.config import ConsoleSettings
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.producers.publisher import Publisher
from sgbus.stack.secure import identity_admin
from sgbus.stack.testing import free_ports
from tests.fixtures.browser import (
    launched_chromium,
    new_page,
    no_horizontal_scroll,
    screenshot,
    spki_pin,
)
from tests.golden_data import golden_event
from tests.integration.bus_helpers import bus_settings, results, running_router

pytestmark = pytest.mark.integration
APPROVAL, OVERSIGHT = "weihai-approval", "weihai-oversight"
DEPT_A, DEPT_B = "weihai-drc", "weihai-hrss"  # sole supervisors of the two matters below
MATTER_A, MATTER_B = "WH-A1-001", "WH-A3-001"
PASSWORD = "Test-Passw0rd!"
USERS = {
    "officer-a": ("王芳", DEPT_A, ("officer",)),
    "officer-b": ("陈刚", DEPT_B, ("officer",)),
    "centre": ("赵磊", OVERSIGHT, ("officer", "oversight")),
}


@dataclass
class Site:
    settings: Settings
    console: Console
    main: Serving
    brief: Serving  # the same console with a 3-second idle timeout
    watchdog_db: Path
    serial: list[int]

    def publish(self, *events: Any) -> list[str]:
        with Publisher(APPROVAL, self.settings) as pub:
            pub.publish_many(list(events))
        return [str(e.envelope.event_id) for e in events]

    def results(self, n: int, matter: str) -> list[Any]:
        self.serial[0] += 100  # a fresh block of case numbers per call
        return results(n, seed=self.serial[0], matters=[matter], base_serial=self.serial[0])


def eventually(check: Callable[[], Any], timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def site(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = bus_settings(stack)
    assert stack.local is not None, "the browser tests need the local stack's identity provider"
    with identity_admin(stack.local.cfg) as admin:
        for username, (name, party, roles) in USERS.items():
            admin.ensure_user(
                username, password=PASSWORD, name=name, party_group=party, roles=roles
            )
    tmp = tmp_path_factory.mktemp("console")
    stop = threading.Event()
    console = build_console(settings, db_url=f"sqlite:///{tmp / 'console.db'}", stop=stop)
    projector = projector_thread(console, stop)
    watchdog_db = tmp / "watchdog.db"
    watchdog = build_watchdog(settings, RunOptions(db_url=f"sqlite:///{watchdog_db}"), stop)
    watchdog.start()
    watcher = threading.Thread(target=lambda: watchdog.run(stop.is_set), daemon=True)
    watcher.start()
    main_port, brief_port = free_ports(2)
    with (
        running_router(settings),
        serving(settings, console, ConsoleSettings(port=main_port)) as main,
        serving(settings, console, ConsoleSettings(port=brief_port, idle_timeout_s=3)) as brief,
    ):
        yield Site(settings, console, main, brief, watchdog_db, [90_000])
    stop.set()
    watcher.join(30)
    watchdog.close()
    if projector is not None:
        projector.join(30)
    console.publisher.close()


@pytest.fixture(scope="module")
def browser(stack: Any) -> Iterator[Any]:
    """Chromium trusting the stack's server certificate (its identity provider's)."""
    pem = (stack.local.cfg.pki_dir / "server.pem").read_bytes()
    with launched_chromium((spki_pin(pem),)) as launched:
        yield launched


def log_in(browser: Any, url: str, username: str, *, phone: bool = False) -> Any:
    page = new_page(browser, phone=phone)
    page.goto(f"{url}/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#kc-login")
    page.wait_for_url(f"{url}/**")
    return page


def csrf_of(page: Any) -> str:
    return str(page.locator("input[name=csrf_token]").first.input_value())


def claims_in_bureau_inbox(site: Site, ids: set[str]) -> set[str]:
    serde = serde_for(site.settings)
    found = set()
    for record in read_to_end(site.settings, [inbox_topic(APPROVAL)]):
        if record.headers.get(h.EVENT_TYPE) != "Claim":
            continue
        event = serde.decode(record.value, inbox_topic(APPROVAL), 0, 0)
        claimed = str(getattr(event, "claimed_event_id", ""))
        if claimed in ids:
            found.add(claimed)
    return found


def watchdog_state(site: Site, event_id: str, debtor: str) -> str | None:
    from sgbus.bus.store import make_engine

    engine = make_engine(f"sqlite:///{site.watchdog_db}")
    try:
        with engine.connect() as conn:
            q = select(obligations.c.state).where(
                obligations.c.request_event_id == event_id,
                obligations.c.debtor == debtor,
                obligations.c.flow == "claim",
            )
            return conn.execute(q).scalar_one_or_none()
    finally:
        engine.dispose()


def test_login_shows_the_officers_party(site: Site, browser: Any) -> None:
    page = log_in(browser, site.main.url, "officer-a")
    assert page.url.startswith(f"{site.main.url}/items")
    assert page.locator("#who-name").inner_text() == "王芳"
    assert page.locator("#who-party").get_attribute("data-party") == DEPT_A
    assert page.locator("#who-party").inner_text() == "威海市发展和改革委员会"
    page.context.close()


def test_logout_ends_the_providers_session_too(site: Site, browser: Any) -> None:
    page = log_in(browser, site.main.url, "officer-a")
    page.click("form.logout button[type=submit]")
    page.wait_for_url(f"{site.main.url}/auth/logged-out")
    page.goto(f"{site.main.url}/items")
    page.locator("#username").wait_for()  # the provider asks for the password again
    assert not page.url.startswith(site.main.url)
    page.context.close()


def test_a_new_item_appears_and_its_claim_reaches_the_bus(site: Site, browser: Any) -> None:
    page = log_in(browser, site.main.url, "officer-a")
    (item,) = site.results(1, MATTER_A)
    (event_id,) = site.publish(item)
    row = page.locator(f"tr[data-event-id='{event_id}']")
    row.wait_for(timeout=90_000)  # no reload: the list polls
    row.locator("button.claim-one").click()
    page.wait_for_url(f"{site.main.url}/items/{event_id}?done=1")
    eventually(lambda: claims_in_bureau_inbox(site, {event_id}))
    eventually(lambda: watchdog_state(site, event_id, DEPT_A) == "discharged")
    page.reload()
    assert "已认领" in page.locator("#item-state").inner_text()
    page.context.close()


def test_bulk_claim(site: Site, browser: Any) -> None:
    page = log_in(browser, site.main.url, "officer-a")
    ids = site.publish(*site.results(2, MATTER_A))
    for event_id in ids:
        box = page.locator(f"#pick-{event_id}")
        box.wait_for(timeout=90_000)
        box.check()
    page.click("button.bulk-claim")
    page.wait_for_url(f"{site.main.url}/items/claim")
    assert page.locator("tr.result").count() == 2
    assert page.content().count("认领成功") == 2
    eventually(lambda: claims_in_bureau_inbox(site, set(ids)) == set(ids))
    page.context.close()


def test_a_consultation_reply(site: Site, browser: Any) -> None:
    base = golden_event("ConsultationLetter")
    assert isinstance(base, ConsultationLetter)
    letter = base.model_copy(
        update={
            "envelope": new_envelope(
                event_class("ConsultationLetter"),
                sender=APPROVAL,
                region="371000",
                case_key="371000:函〔2026〕browser-1号",
                recipients=[DEPT_A],
            )
        }
    )
    (event_id,) = site.publish(letter)
    page = log_in(browser, site.main.url, "officer-a")
    eventually(lambda: _has_item(site, event_id, DEPT_A))
    page.goto(f"{site.main.url}/items/{event_id}")
    page.select_option("#r-position", "AGREE_WITH_COMMENTS")
    page.fill("#r-text", "原则同意,建议补充安全评估要求")
    page.click("#reply-form button[type=submit]")
    page.wait_for_url(f"{site.main.url}/items/{event_id}?done=1")

    def replied() -> bool:
        return any(
            r.headers.get(h.EVENT_TYPE) == "ConsultationReply"
            for r in read_to_end(site.settings, [inbox_topic(APPROVAL)])
            if r.key == letter.envelope.case_key.encode()
        )

    eventually(replied)
    page.context.close()


def _has_item(site: Site, event_id: str, party: str) -> bool:
    with site.console.engine.connect() as conn:
        return get_item(conn, event_id, party) is not None


def test_the_centre_assigns_from_the_pool(site: Site, browser: Any) -> None:
    (orphan,) = site.results(1, MATTER_A)
    orphan = orphan.model_copy(
        update={"matter": orphan.matter.model_copy(update={"code": "WH-NOT-LISTED"})}
    )
    (event_id,) = site.publish(orphan)
    eventually(lambda: _has_item(site, event_id, OVERSIGHT))
    page = log_in(browser, site.main.url, "centre")
    page.goto(f"{site.main.url}/centre/pool")
    section = page.locator(f"section.pool-item[data-event-id='{event_id}']")
    section.locator(f"input[name=to][value='{DEPT_B}']").check()
    section.locator("button[type=submit]").click()
    section.locator(".action-result.ok").wait_for()
    eventually(lambda: _has_item(site, event_id, DEPT_B))
    officer_b = log_in(browser, site.main.url, "officer-b")
    officer_b.locator(f"tr[data-event-id='{event_id}']").wait_for(timeout=90_000)
    officer_b.context.close()
    page.context.close()


def test_role_isolation(site: Site, browser: Any) -> None:
    (item_b,) = site.results(1, MATTER_B)
    (id_b,) = site.publish(item_b)
    eventually(lambda: _has_item(site, id_b, DEPT_B))
    page = log_in(browser, site.main.url, "officer-a")
    shown = page.goto(f"{site.main.url}/items/{id_b}")
    assert shown is not None and shown.status == 404  # B's item, opened by URL
    token = csrf_of(page.goto(f"{site.main.url}/items?tab=all") and page)
    claim = page.request.post(f"{site.main.url}/items/{id_b}/claim", form={"csrf_token": token})
    assert claim.status == 404  # A claiming B's item
    bare = page.request.post(f"{site.main.url}/items/claim", form={"event_id": id_b})
    assert bare.status == 403  # no CSRF token
    assert page.goto(f"{site.main.url}/centre").status == 403  # not the centre
    page.context.close()
    assert not _claimed(site, id_b, DEPT_B)


def _claimed(site: Site, event_id: str, party: str) -> bool:
    with site.console.engine.connect() as conn:
        detail = get_item(conn, event_id, party)
    return detail is not None and detail.row.claimed_at is not None


def test_an_idle_session_expires(site: Site, browser: Any) -> None:
    page = log_in(browser, site.brief.url, "officer-a")
    page.goto(f"{site.brief.url}/centre/policy")  # a page that does not poll
    time.sleep(4)
    got = page.goto(f"{site.brief.url}/items")
    assert got is not None and got.status == 401
    assert "会话已过期" in page.content()
    page.context.close()


def _a_busy_week(site: Site) -> str:
    """Results for several departments, a third of department A's claimed by an officer: the
    data the committed screenshots show. Returns one pending item of department A."""
    events = [
        *site.results(12, MATTER_A),
        *site.results(6, MATTER_B),
        *site.results(4, "WH-A2-004"),
    ]
    ids = site.publish(*events)
    eventually(lambda: all(_has_item(site, i, DEPT_A) for i in ids[:12]))
    officer = actions.Officer("officer-a", "王芳", DEPT_A)
    for event in events[:4]:
        site.console.publisher.publish(DEPT_A, actions.claim(event, officer, site.console.now()))
    eventually(lambda: all(_claimed(site, i, DEPT_A) for i in ids[:4]))
    return ids[5]


def test_phone_layout_and_screenshots(site: Site, browser: Any, tmp_path: Path) -> None:
    event_id = _a_busy_week(site)
    page = log_in(browser, site.main.url, "officer-a", phone=True)
    for path in ("/items?tab=all", f"/items/{event_id}"):
        page.goto(f"{site.main.url}{path}")
        assert no_horizontal_scroll(page), path
    desk = log_in(browser, site.main.url, "officer-a")
    desk.goto(f"{site.main.url}/items?tab=all")
    screenshot(desk, "console-officer-list", tmp_path)
    desk.goto(f"{site.main.url}/items/{event_id}")
    screenshot(desk, "console-item-detail", tmp_path)
    centre = log_in(browser, site.main.url, "centre")
    centre.goto(f"{site.main.url}/centre?from=2026-01-01")
    assert centre.locator("#dashboard").is_visible()
    screenshot(centre, "console-centre-dashboard", tmp_path)
    centre_phone = log_in(browser, site.main.url, "centre", phone=True)
    centre_phone.goto(f"{site.main.url}/centre?from=2026-01-01")
    assert no_horizontal_scroll(centre_phone)
    for p in (page, desk, centre, centre_phone):
        p.context.close()
