"""转办, 争议, 督办 and 函询 answers without a broker: built, routed, read by the watchdog and
applied to stored obligations (SQLite), in audit-log order."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sgbus.bus.actions import (
    ActionError,
    build_consultation_reply,
    build_dispute,
    build_ruling,
    build_transfer,
    build_urging,
)
from sgbus.bus.calendar import default_calendar
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.claims import build_claim
from sgbus.bus.events import (
    ConsultationPosition,
    DeadLetterReason,
    Event,
    ResponsibilityDispute,
)
from sgbus.bus.obligations.actions import Verdict, consultation_verdict
from sgbus.bus.obligations.ingest import AuditRecord, Ingestor
from sgbus.bus.obligations.model import Obligation, State
from sgbus.bus.policy import load_preset
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.store import make_engine, migrate
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord
from sgbus.consumers.watchdog.item_actions import apply_actions
from sgbus.consumers.watchdog.ledger import BatchResult, apply_batch, sweep
from sgbus.consumers.watchdog.query import ObligationFilter, list_obligations
from sgbus.demo.synthetic import approval_result
from tests.watchdog_kit import Scene, at, audit, city_catalogue

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
W = Scene("weihai")
MARKET, HEALTH, OVERSIGHT = W.party("market"), W.party("health"), W.party("oversight")
MON = at("2026-10-12", "10:00")  # a Monday; the claim is due in 3 working days (Fri 00:00)


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


# -- building ------------------------------------------------------------------------------


def test_a_transfer_names_the_item_and_goes_to_the_receiver() -> None:
    item = W.approval_result(1, MON)
    event = build_transfer(item, MARKET, HEALTH, " 属卫生健康部门职责 ", MON, officer="李明")
    assert (
        event.envelope.recipients == [HEALTH] and event.envelope.case_key == item.envelope.case_key
    )
    assert (event.item_event_id, event.item_event_type) == (
        item.envelope.event_id,
        "ApprovalResult",
    )
    assert event.reason == "属卫生健康部门职责"
    assert (
        build_transfer(item, MARKET, HEALTH, "x", MON).envelope.event_id == event.envelope.event_id
    )
    with pytest.raises(ActionError):
        build_transfer(item, MARKET, MARKET, "x", MON)
    with pytest.raises(ActionError):
        build_transfer(item, MARKET, HEALTH, "  ", MON)


def test_a_ruling_goes_to_the_disputer_and_the_assignee() -> None:
    dispute = build_dispute(W.approval_result(1, MON), MARKET, "不属本部门", MON)
    assert dispute.envelope.recipients is None  # the router sends it to the oversight pool
    ruling = build_ruling(dispute, OVERSIGHT, HEALTH, "依清单第十二项", "协调科", MON)
    assert ruling.envelope.recipients == [MARKET, HEALTH]
    assert (ruling.disputed_by, ruling.item_event_id) == (MARKET, dispute.item_event_id)


@pytest.mark.parametrize(
    ("position", "text", "verdict"),
    [
        ("同意", None, Verdict.CONSENT),
        ("有条件同意", "须先完成环评", Verdict.CONDITIONAL_CONSENT),
        ("不同意", "与规划不符", Verdict.DISSENT),
        ("DISAGREE", "与规划不符", Verdict.DISSENT),
    ],
)
def test_consultation_answers_are_a_fixed_set(
    position: str, text: str | None, verdict: Verdict
) -> None:
    letter = W.request("ConsultationLetter", 5, MON, by="approval", to="market")
    reply = build_consultation_reply(letter, MARKET, position, text, MON)
    assert consultation_verdict(reply, lenient=False) is verdict


@pytest.mark.parametrize(
    ("position", "text"), [("不同意", None), ("有条件同意", " "), ("也许", "x")]
)
def test_a_refusal_without_reason_or_another_answer_is_not_built(
    position: str, text: str | None
) -> None:
    letter = W.request("ConsultationLetter", 5, MON, by="approval", to="market")
    with pytest.raises(ActionError):
        build_consultation_reply(letter, MARKET, position, text, MON)


def test_the_policy_switch_decides_whether_a_bare_refusal_is_consent() -> None:
    letter = W.request("ConsultationLetter", 5, MON, by="approval", to="market")
    bare = W.reply(
        "ConsultationReply",
        6,
        letter,
        MON,
        position="DISAGREE",
        reply=None,
        letter_event_id=letter.envelope.event_id,
        deemed=False,
    )
    other = bare.model_copy(update={"position": ConsultationPosition.UNKNOWN})
    for reply in (bare, other):
        assert consultation_verdict(reply, lenient=True) is Verdict.DEEMED_CONSENT  # type: ignore[arg-type]
        assert consultation_verdict(reply, lenient=False) is Verdict.NOT_AN_ANSWER  # type: ignore[arg-type]
    strict = Ingestor(load_preset("anqiu"), default_calendar(), city_catalogue("weihai"))
    lenient = Ingestor(
        strict.policy.model_copy(update={"lenient_consultation_answers": True}),
        default_calendar(),
        strict.catalogue,
    )
    assert strict.ingest(audit(bare)).answers == [] and strict.ingest(audit(bare)).skipped
    assert len(lenient.ingest(audit(bare)).answers) == 1


# -- routing -------------------------------------------------------------------------------


def _routed(serde: Serde, event: Event, sender: str) -> tuple[list[str], DeadLetterReason | None]:
    topic = f"sg.{sender}.outbox"
    rec = InRecord(topic, 0, 1, b"k", serde.encode(event, topic), {})
    routed = route_record(rec, serde, DIRECTORY)
    return [o.topic for o in routed.out], routed.rejected


def _item() -> Event:
    return approval_result(
        CAT.matter("WH-A1-001"),
        7,
        sender="weihai-approval",
        region="371000",
        decided_at=MON,
        rng=random.Random(7),
    )


def test_the_router_routes_each_action(serde: Serde) -> None:
    item = _item()
    drc, health, pool = "weihai-drc", "weihai-health", DIRECTORY.unassigned_pool()
    transfer = build_transfer(item, drc, health, "属卫生健康部门职责", MON)
    assert _routed(serde, transfer, drc) == ([f"sg.{health}.inbox", "sg.audit"], None)
    dispute = build_dispute(item, drc, "不属本部门", MON)
    assert _routed(serde, dispute, drc) == ([f"sg.{pool}.inbox", "sg.audit"], None)
    ruling = build_ruling(dispute, pool, health, "依清单", "协调科", MON)
    assert _routed(serde, ruling, pool)[0] == [f"sg.{drc}.inbox", f"sg.{health}.inbox", "sg.audit"]
    urging = build_urging(
        oversight=pool,
        urged_party=drc,
        item_event_id=str(item.envelope.event_id),
        item_event_type="ApprovalResult",
        region="371000",
        case_key=item.envelope.case_key,
        message="请尽快认领",
        at=MON,
    )
    assert _routed(serde, urging, pool) == ([f"sg.{drc}.inbox", "sg.audit"], None)


def test_only_the_oversight_office_rules_or_urges(serde: Serde) -> None:
    item = _item()
    dispute = build_dispute(item, "weihai-drc", "不属本部门", MON)
    ruling = build_ruling(dispute, "weihai-health", "weihai-health", "我来", "科长", MON)
    topics, reason = _routed(serde, ruling, "weihai-health")
    assert reason is DeadLetterReason.SENDER_NOT_OWNER and "sg.audit" not in topics


def test_a_transfer_whose_receiver_is_not_addressed_is_refused(serde: Serde) -> None:
    transfer = build_transfer(_item(), "weihai-drc", "weihai-health", "转", MON)
    moved = transfer.model_copy(
        update={"envelope": transfer.envelope.model_copy(update={"recipients": ["weihai-water"]})}
    )
    assert _routed(serde, moved, "weihai-drc")[1] is DeadLetterReason.VALIDATION_FAILED


# -- the watchdog --------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'watchdog.db'}")
    migrate(eng)
    yield eng
    eng.dispose()


class Watchdog:
    """The ledger fed by the real ingestor, one audit record per transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ingestor = Ingestor(
            load_preset("weihai"), default_calendar(), city_catalogue("weihai")
        )
        self.outcomes: list[str] = []
        self.skipped: list[str] = []

    def feed(self, *events: Event) -> None:
        for event in events:
            got = self.ingestor.ingest(AuditRecord(event, tuple(event.envelope.recipients or ())))
            with self.engine.begin() as conn:
                result = apply_batch(conn, got.openings, got.answers)
                done = apply_actions(conn, got.actions, self._deadline_of, result)
            self.skipped += done.skipped
            self._keep(result)

    def tick(self, now: datetime) -> None:
        with self.engine.begin() as conn:
            self.outcomes += [o.kind.value for o in sweep(conn, now)]

    def _keep(self, result: BatchResult) -> None:
        self.outcomes += [o.kind.value for o in result.outcomes]

    def _deadline_of(self, flow: str, region: str, at_: datetime):  # type: ignore[no-untyped-def]
        cal, policy = self.ingestor.calendar, self.ingestor.policy
        return policy.deadline(flow, at_, cal), policy.reminder(flow, at_, cal)

    def of(self, party: str, flow: str = "claim") -> list[Obligation]:
        with self.engine.connect() as conn:
            rows = list_obligations(conn, ObligationFilter(party=party), MON)
        return [o for o in rows if o.opening.debtor == party and o.opening.flow == flow]


def test_transfer_ends_the_first_claim_as_transferred_and_the_receiver_counts_anew(
    engine: Engine,
) -> None:
    dog = Watchdog(engine)
    item = W.approval_result(1, MON)
    dog.feed(item)
    (first,) = dog.of(MARKET)
    wed = at("2026-10-14", "15:00")
    transfer = build_transfer(item, MARKET, HEALTH, "属卫生健康部门职责", wed)
    dog.feed(transfer, transfer)  # a repeat changes nothing
    (mine,) = dog.of(MARKET)
    (theirs,) = dog.of(HEALTH)
    assert mine.state is State.TRANSFERRED and mine.closed_at == wed
    assert theirs.opening.opened_at == wed and theirs.opening.due_at == at("2026-10-20", "00:00")
    assert theirs.opening.original_due_at == first.opening.due_at == at("2026-10-16", "00:00")
    assert theirs.opening.handed_over_from == MARKET
    dog.tick(at("2026-10-30"))  # long after both deadlines
    assert dog.of(MARKET)[0].state is State.TRANSFERRED  # never a breach for the market
    assert dog.of(HEALTH)[0].state is State.BREACHED  # the receiver's own breach (weihai)


def test_the_receiver_claims_the_transfer(engine: Engine) -> None:
    dog = Watchdog(engine)
    item = W.approval_result(1, MON)
    transfer = build_transfer(item, MARKET, HEALTH, "属卫生健康部门职责", MON + timedelta(hours=1))
    claim = build_claim(transfer, HEALTH, MON + timedelta(hours=2))
    dog.feed(item, transfer, claim)
    assert dog.of(HEALTH)[0].state is State.DISCHARGED


def test_a_dispute_stops_the_clock_and_a_ruling_back_restarts_it(engine: Engine) -> None:
    dog = Watchdog(engine)
    item = W.approval_result(1, MON)
    dispute = build_dispute(item, MARKET, "不属本部门职责", at("2026-10-13", "10:00"))
    dog.feed(item, dispute)
    (held,) = dog.of(MARKET)
    assert held.state is State.SUSPENDED
    (duty,) = dog.of(OVERSIGHT, "dispute-ruling")  # the office owes a ruling in 3 working days
    assert duty.opening.due_at == at("2026-10-17", "00:00") and duty.opening.creditor == MARKET
    dog.tick(at("2026-10-16", "09:00"))  # past the market's first deadline
    assert dog.of(MARKET)[0].state is State.SUSPENDED and dog.outcomes == []
    ruled = at("2026-10-16", "10:00")
    ruling = build_ruling(_as_dispute(dispute), OVERSIGHT, MARKET, "属本部门", "协调科", ruled)
    dog.feed(ruling)
    (back,) = dog.of(MARKET)
    assert back.state is State.OPEN  # the deadline moved by the time the clock stood
    assert back.opening.due_at == held.opening.due_at + (ruled - at("2026-10-13", "10:00"))
    assert dog.of(OVERSIGHT, "dispute-ruling")[0].state is State.DISCHARGED


def test_a_ruling_to_another_department_hands_the_item_over(engine: Engine) -> None:
    dog = Watchdog(engine)
    item = W.approval_result(1, MON)
    dispute = build_dispute(item, MARKET, "不属本部门职责", MON + timedelta(hours=1))
    ruled = at("2026-10-20", "09:00")  # after the market's own deadline: no matter, it was stopped
    ruling = build_ruling(_as_dispute(dispute), OVERSIGHT, HEALTH, "依清单", "协调科", ruled)
    dog.feed(item, dispute, ruling)
    assert dog.of(MARKET)[0].state is State.TRANSFERRED
    (theirs,) = dog.of(HEALTH)
    assert (
        theirs.opening.opened_at == ruled and theirs.opening.request_event_type == "DisputeRuling"
    )


def test_an_unruled_dispute_escalates(engine: Engine) -> None:
    dog = Watchdog(engine)
    item = W.approval_result(1, MON)
    dog.feed(item, build_dispute(item, MARKET, "不属本部门职责", MON))
    dog.tick(at("2026-10-16", "00:00"))
    assert dog.outcomes == ["Escalation"]
    assert dog.of(MARKET)[0].state is State.SUSPENDED  # still the office's to decide


def test_urgings_are_counted_on_the_urged_obligation(engine: Engine) -> None:
    dog = Watchdog(engine)
    item = W.approval_result(1, MON)
    urge = {
        "oversight": OVERSIGHT,
        "urged_party": MARKET,
        "item_event_id": str(item.envelope.event_id),
        "item_event_type": "ApprovalResult",
        "region": W.region,
        "case_key": item.envelope.case_key,
        "message": "请尽快认领",
    }
    first = build_urging(**urge, at=at("2026-10-14"))  # type: ignore[arg-type]
    dog.feed(item, first, first, build_urging(**urge, at=at("2026-10-15")))  # type: ignore[arg-type]
    assert len(dog.of(MARKET)[0].urgings) == 2


def test_an_action_on_an_unknown_item_changes_nothing_and_says_so(engine: Engine) -> None:
    dog = Watchdog(engine)
    dog.feed(build_transfer(W.approval_result(1, MON), MARKET, HEALTH, "转", MON))
    assert dog.of(HEALTH) == [] and len(dog.skipped) == 1


def _as_dispute(event: Event) -> ResponsibilityDispute:
    assert isinstance(event, ResponsibilityDispute)
    return event


# -- who owes a claim ------------------------------------------------------------------------


def test_a_ruling_is_claimed_by_the_department_it_hands_the_item_to_only() -> None:
    from sgbus.bus.claims import owes_claim

    item = W.approval_result(1, MON)
    dispute = build_dispute(item, MARKET, "不属本部门职责", MON)
    elsewhere = build_ruling(dispute, OVERSIGHT, HEALTH, "属卫生健康部门职责", "赵磊", MON)
    back = build_ruling(dispute, OVERSIGHT, MARKET, "属本部门职责", "赵磊", MON)
    assert owes_claim(item, MARKET)
    assert owes_claim(elsewhere, HEALTH) and not owes_claim(elsewhere, MARKET)
    # Given back, the department claims the original item, whose clock restarts.
    assert not owes_claim(back, MARKET)
    assert not owes_claim(dispute, OVERSIGHT)
