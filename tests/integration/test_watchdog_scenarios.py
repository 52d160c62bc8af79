"""Each expiry action of each seed-city policy, on the real broker and registry.

The test writes the audit log as the router does (original event bytes, case key, delivery
headers), runs the watchdog with a fixed or simulated clock, reads its outbox topic back and
decodes the outcome events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from sgbus.bus.events import Event, event_type_of
from sgbus.bus.obligations.model import Obligation, OutcomeKind, outcome_id
from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import obligations
from sgbus.consumers.watchdog.ledger import from_row
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.stack.testing import StackEndpoints
from tests.watchdog_bus import (
    Topics,
    create_topics,
    produce_audit,
    read_topic,
    run_until_idle,
    settings_for,
)
from tests.watchdog_kit import Scene, at, catalogue_text

pytestmark = pytest.mark.integration


@dataclass
class Run:
    """What a scenario left behind: outcome events published and obligations stored."""

    published: list[Event]
    obligations: list[Obligation]

    def summary(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """(event type, flow, debtor, recipients) of each published outcome, sorted."""
        out = []
        for ev in self.published:
            ref = ev.obligation  # type: ignore[attr-defined]
            out.append(
                (event_type_of(ev), ref.flow, ref.debtor, tuple(ev.envelope.recipients or ()))
            )
        return sorted(out)

    def states(self, flow: str, debtor: str) -> list[str]:
        """States of ``debtor``'s obligations in ``flow``, sorted."""
        return sorted(
            o.state.value
            for o in self.obligations
            if (o.opening.flow, o.opening.debtor) == (flow, debtor)
        )


def scenario(
    stack: StackEndpoints,
    tmp: Path,
    city: str,
    events: list[Event],
    now: datetime,
    policy: str | None = None,
) -> Run:
    topics = Topics.fresh(city)
    create_topics(stack.bootstrap, [topics.audit, topics.outbox])
    serde = build_serde(stack.registry_config())
    produce_audit(stack.bootstrap, serde, topics.audit, events)
    cat = tmp / "catalogue.yaml"
    cat.write_text(catalogue_text(city), encoding="utf-8")
    db = f"sqlite:///{tmp / 'watchdog.db'}"
    opts = RunOptions(
        db_url=db, policy=policy or city, catalogue=cat, now=now, config=topics.config()
    )
    run_until_idle(settings_for(stack, tmp), opts)
    published = [p.event for p in read_topic(stack.bootstrap, serde, topics.outbox)]
    with make_engine(db).connect() as conn:
        stored = [from_row(r) for r in conn.execute(select(obligations))]
    return Run(published, stored)


def check_ids(run: Run) -> None:
    """Every outcome event's id is the deterministic outcome id of its obligation."""
    for ev in run.published:
        kind = OutcomeKind(event_type_of(ev))
        assert str(ev.envelope.event_id) == outcome_id(ev.obligation.obligation_id, kind)  # type: ignore[attr-defined]
    assert len({ev.envelope.event_id for ev in run.published}) == len(run.published)


# -- breach report: one scenario per city --------------------------------------------------

NOV2, NOV3 = at("2026-11-02"), at("2026-11-03")
LATER = at("2026-11-20")


def weihai(s: Scene) -> list[Event]:
    missed = s.approval_result("wh-1", NOV2)
    claimed = s.approval_result("wh-2", NOV2)
    return [missed, claimed, s.claim("wh-3", claimed, "market", NOV3)]


def zichuan(s: Scene) -> list[Event]:
    return [s.request("ConsultationLetter", "zc-1", NOV2, "approval", "market")]


def ankang(s: Scene) -> list[Event]:
    # Decided on 2 Nov, pushed on 12 Nov: 3 WD (及时, the operator's default) had passed.
    return [s.approval_result("ak-1", at("2026-11-12"), decided=date(2026, 11, 2))]


def anqiu(s: Scene) -> list[Event]:
    action = s.request(
        "SupervisionAction", "aq-1", NOV2, "market", "approval", decision_date=date(2026, 11, 2)
    )
    return [action]


def yingkou(s: Scene) -> list[Event]:
    return [s.approval_result("yk-1", NOV2)]


BREACHES: dict[
    str, tuple[Callable[[Scene], list[Event]], list[tuple[str, str, str, tuple[str, ...]]]]
] = {
    "weihai": (
        weihai,
        [("ObligationBreach", "claim", "weihai-market", ("weihai-market", "weihai-approval"))],
    ),
    "zichuan": (
        zichuan,
        [
            (
                "ObligationBreach",
                "consultation-reply",
                "zichuan-market",
                ("zichuan-market", "zichuan-approval"),
            )
        ],
    ),
    "ankang": (
        ankang,
        [
            (
                "ObligationBreach",
                "approval-push",
                "ankang-approval",
                ("ankang-approval", "ankang-market"),
            )
        ],
    ),
    "anqiu": (
        anqiu,
        [
            (
                "ObligationBreach",
                "supervision-claim",
                "anqiu-approval",
                ("anqiu-approval", "anqiu-market"),
            )
        ],
    ),
    "yingkou": (
        yingkou,
        [
            (
                "ObligationBreach",
                "claim",
                "yingkou-market",
                ("yingkou-market", "yingkou-approval", "yingkou-oversight"),
            ),
            (
                "ObligationReminder",
                "claim",
                "yingkou-market",
                ("yingkou-market", "yingkou-approval"),
            ),
        ],
    ),
}


@pytest.mark.parametrize("city", list(BREACHES))
def test_breach_report(stack: StackEndpoints, tmp_path: Path, city: str) -> None:
    build, expected = BREACHES[city]
    run = scenario(stack, tmp_path, city, build(Scene(city)), LATER)
    assert run.summary() == sorted(expected)
    check_ids(run)
    flow, debtor = expected[0][1:3]
    # 威海: the second result was claimed in time and discharged silently.
    assert run.states(flow, debtor) == (
        ["breached", "discharged"] if city == "weihai" else ["breached"]
    )


def test_anqiu_auto_claim_after_a_reminder(stack: StackEndpoints, tmp_path: Path) -> None:
    s = Scene("anqiu")
    missed = s.approval_result("aq-ac-1", NOV2)
    claimed = s.approval_result("aq-ac-2", NOV2)
    events = [missed, claimed, s.claim("aq-ac-3", claimed, "market", NOV3)]
    run = scenario(stack, tmp_path, "anqiu", events, LATER)
    pair = ("anqiu-market", "anqiu-approval")
    assert run.summary() == [
        ("AutoClaim", "claim", "anqiu-market", pair),
        ("ObligationReminder", "claim", "anqiu-market", pair),
    ]
    auto = next(e for e in run.published if event_type_of(e) == "AutoClaim")
    assert auto.claimed_on_behalf_of == "anqiu-market"  # type: ignore[attr-defined]
    assert auto.claimed_at == at("2026-11-06", "00:00")  # type: ignore[attr-defined]
    assert auto.obligation.trigger_event_id == missed.envelope.event_id  # type: ignore[attr-defined]
    states = sorted(o.state.value for o in run.obligations if o.opening.flow == "claim")
    assert states == ["auto-resolved", "discharged"]
    check_ids(run)


def test_anqiu_deemed_consent(stack: StackEndpoints, tmp_path: Path) -> None:
    s = Scene("anqiu")
    silent = s.request("ConsultationLetter", "aq-dc-1", NOV2, "approval", "market")
    answered = s.request("ConsultationLetter", "aq-dc-2", NOV2, "approval", "health")
    reply = s.reply(
        "ConsultationReply", "aq-dc-3", answered, NOV3, letter_event_id=answered.envelope.event_id
    )
    run = scenario(stack, tmp_path, "anqiu", [silent, answered, reply], LATER)
    assert run.summary() == [
        ("DeemedConsent", "consultation-reply", "anqiu-market", ("anqiu-market", "anqiu-approval"))
    ]
    consent = run.published[0]
    assert consent.letter_event_id == silent.envelope.event_id  # type: ignore[attr-defined]
    assert run.states("consultation-reply", "anqiu-market") == ["auto-resolved"]
    assert run.states("consultation-reply", "anqiu-health") == ["discharged"]
    check_ids(run)


# -- escalation: no preset escalates, an operator policy may (营口 第二十一条, 安康 第七条) ------


def escalating_policy(tmp: Path, city: str, flow: str) -> str:
    preset = Path(__file__).resolve().parents[2] / "sgbus/bus/policy/presets" / f"{city}.yaml"
    doc = yaml.safe_load(preset.read_text(encoding="utf-8"))
    doc["name"] = f"{city}-escalating"
    for rule in doc["rules"]:
        if rule["flow"] == flow:
            rule["at_expiry"] = "escalate"
            rule["escalate_to"] = "oversight"
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("city", "flow"), [("yingkou", "claim"), ("ankang", "change-decision")])
def test_escalation_to_the_oversight_office(
    stack: StackEndpoints, tmp_path: Path, city: str, flow: str
) -> None:
    s = Scene(city)
    if flow == "claim":
        events = [s.approval_result(f"{city}-esc-1", NOV2)]
        debtor = s.party("market")
        creditor = s.party("approval")
    else:
        events = [s.request("LicenceChangeRequest", f"{city}-esc-1", NOV2, "market", "approval")]
        debtor, creditor = s.party("approval"), s.party("market")
    policy = escalating_policy(tmp_path, city, flow)
    run = scenario(stack, tmp_path, city, events, LATER, policy=policy)
    esc = [e for e in run.published if event_type_of(e) == "Escalation"]
    assert len(esc) == 1
    assert esc[0].escalated_to == s.party("oversight")  # type: ignore[attr-defined]
    assert esc[0].envelope.recipients == [debtor, creditor, s.party("oversight")]
    assert run.states(flow, debtor) == ["breached"]
    check_ids(run)


# -- the simulated clock: a week of deadlines in seconds -----------------------------------


def test_simulated_clock_shows_a_week_in_seconds(stack: StackEndpoints, tmp_path: Path) -> None:
    s = Scene("anqiu")
    topics = Topics.fresh("sim")
    create_topics(stack.bootstrap, [topics.audit, topics.outbox])
    serde = build_serde(stack.registry_config())
    produce_audit(stack.bootstrap, serde, topics.audit, [s.approval_result("sim-1", NOV2)])
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'watchdog.db'}"
    # One day per real second, from the morning of the push.
    opts = RunOptions(
        db_url=db,
        policy="anqiu",
        catalogue=cat,
        now=NOV2,
        clock_speed=86_400.0,
        config=topics.config(poll_timeout_s=0.2),
    )
    wd = build_watchdog(settings_for(stack, tmp_path), opts)
    wd.start()
    seen: list[tuple[str, float]] = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < 30 and len(seen) < 2:
            wd.step()
            got = read_topic(stack.bootstrap, serde, topics.outbox)
            for p in got[len(seen) :]:
                seen.append((event_type_of(p.event), time.monotonic() - started))
    finally:
        wd.close()
    kinds = [k for k, _ in seen]
    assert kinds == ["ObligationReminder", "AutoClaim"]
    # Reminder due 5 Nov 00:00, auto-claim 6 Nov 00:00: about 2.6 and 3.6 s after start.
    assert seen[1][1] < 25
