"""Push = claim (推送即认领): the policy setting, the router's claims, what the watchdog opens."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sgbus.bus import headers as h
from sgbus.bus.calendar import default_calendar
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.claims import build_claim, build_delivery_claim, claim_event_id
from sgbus.bus.events import CaseAssignment, Claim, ClaimMode, new_envelope
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.policy import PRESETS, ClaimingMode, Policy, load_preset
from sgbus.bus.regions.regime import single
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.validation import validate_event
from sgbus.consumers.department.apply import Department, apply_batch
from sgbus.consumers.department.intake import Batch, Position, Received
from sgbus.consumers.department.store import find_items
from sgbus.consumers.router.delivery_claims import RegionClaimModes
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.pool import no_pool
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord
from sgbus.demo.synthetic import approval_result
from tests.department_events import approval
from tests.watchdog_kit import Scene, at, audit, city_catalogue

SOURCE = "《某市审管联动协同规定》第八条 (推送即认领)"


def on_delivery(preset: str = "anqiu", **changes: Any) -> Policy:
    """``preset`` with the push as the claim: no claim rule, claim_mode on-delivery."""
    data = load_preset(preset).model_dump(mode="json")
    data["rules"] = [r for r in data["rules"] if r["flow"] != "claim"]
    data.update({"claim_mode": "on-delivery", "claim_mode_source": SOURCE, **changes})
    return Policy.model_validate(data)


# -- the policy setting ---------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_the_seed_cities_claim_explicitly(name: str) -> None:
    policy = load_preset(name)
    assert policy.claim_mode is ClaimingMode.EXPLICIT and not policy.claims_on_delivery


def test_on_delivery_policy_has_no_claim_rule_and_cites_its_source() -> None:
    policy = on_delivery()
    assert policy.claims_on_delivery and policy.claim_mode_source == SOURCE
    assert "claim" not in policy.rules_by_flow and "verification-claim" in policy.rules_by_flow


def test_on_delivery_without_a_source_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs claim_mode_source"):
        on_delivery(claim_mode_source=None)


def test_on_delivery_with_a_claim_rule_is_refused() -> None:
    data = load_preset("anqiu").model_dump(mode="json")
    data.update(claim_mode="on-delivery", claim_mode_source=SOURCE)
    with pytest.raises(ValidationError, match="remove the 'claim' rule"):
        Policy.model_validate(data)


def test_a_source_without_on_delivery_is_refused() -> None:
    data = load_preset("anqiu").model_dump(mode="json")
    data["claim_mode_source"] = SOURCE
    with pytest.raises(ValidationError, match="only for claim_mode: on-delivery"):
        Policy.model_validate(data)


# -- the router records the claims ----------------------------------------------------------

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
T0 = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
TAKEN_MS = 1_796_000_000_123
PUSHED = RegionClaimModes(single(on_delivery("weihai"), CAT))
EXPLICIT = RegionClaimModes(single(load_preset("weihai"), CAT))


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def record(serde: Serde, event: Any, topic: str = "sg.weihai-approval.outbox") -> InRecord:
    value = serde.encode(event, topic)
    return InRecord(topic, 0, 42, b"k", value, {"traceparent": "00-x"}, TAKEN_MS)


def result(matter: str = "WH-A1-001") -> Any:
    return approval_result(
        CAT.matter(matter), 7, sender="weihai-approval", region="371000", decided_at=T0,
        rng=random.Random(7),
    )  # fmt: skip


def test_delivery_under_on_delivery_records_the_departments_claim(serde: Serde) -> None:
    event = result()
    routed = route_record(record(serde, event), serde, DIRECTORY, modes=PUSHED)
    assert routed.claimed_on_delivery == ("weihai-drc",)
    topics = [o.topic for o in routed.out]
    # The push first (inbox, audit), then its claim: to the bureau, the department, the audit.
    assert topics == [
        "sg.weihai-drc.inbox",
        "sg.audit",
        "sg.weihai-approval.inbox",
        "sg.weihai-drc.inbox",
        "sg.audit",
    ]
    claim_out = routed.out[2:]
    assert {o.value for o in claim_out} == {claim_out[0].value}
    assert all(o.key == b"k" and o.timestamp_ms == TAKEN_MS for o in claim_out)
    claim = serde.decode(claim_out[0].value, "sg.audit")
    assert isinstance(claim, Claim) and validate_event(claim) == []
    assert claim.mode is ClaimMode.ON_DELIVERY and claim.officer is None
    assert claim.claimed_by == claim.envelope.sender == "weihai-drc"
    assert claim.claimed_event_id == event.envelope.event_id
    assert claim.claimed_at == dt.datetime.fromtimestamp(TAKEN_MS / 1000, dt.UTC)
    assert claim.envelope.event_id == claim_event_id(event.envelope.event_id, "weihai-drc")
    audit_headers = claim_out[-1].headers
    assert audit_headers[h.EVENT_TYPE] == "Claim"
    assert audit_headers[h.DELIVERED_TO] == "weihai-approval,weihai-drc"
    assert audit_headers[h.TRACEPARENT].startswith("00-")


def test_routing_the_same_record_again_writes_the_same_claim(serde: Serde) -> None:
    rec = record(serde, result())
    first = route_record(rec, serde, DIRECTORY, modes=PUSHED)
    again = route_record(rec, serde, DIRECTORY, modes=PUSHED)
    assert [o.value for o in first.out] == [o.value for o in again.out]


def test_a_later_manual_claim_is_the_same_claim(serde: Serde) -> None:
    event = result()
    routed = route_record(record(serde, event), serde, DIRECTORY, modes=PUSHED)
    pushed = serde.decode(routed.out[-1].value, "sg.audit")
    manual = build_claim(event, "weihai-drc", T0 + dt.timedelta(days=1), officer="张三")
    assert manual.envelope.event_id == pushed.envelope.event_id


def test_explicit_policies_record_no_claims(serde: Serde) -> None:
    for modes in (EXPLICIT, None):
        routed = route_record(record(serde, result()), serde, DIRECTORY, modes=modes)
        assert routed.claimed_on_delivery == ()
        assert [o.topic for o in routed.out] == ["sg.weihai-drc.inbox", "sg.audit"]


def orphan() -> Any:
    """An approval result whose matter no department supervises: it goes to the pool."""
    found = result()
    return found.model_copy(update={"matter": found.matter.model_copy(update={"code": "X-404"})})


def test_the_pool_claims_nothing_and_an_assignment_claims_for_the_assigned(serde: Serde) -> None:
    event, pool = orphan(), no_pool()
    pooled = route_record(record(serde, event), serde, DIRECTORY, pool=pool, modes=PUSHED)
    assert pooled.unassigned and pooled.claimed_on_delivery == ()
    assert "Claim" not in [o.headers.get(h.EVENT_TYPE) for o in pooled.out]
    assignment = CaseAssignment(
        envelope=new_envelope(
            CaseAssignment,
            sender="weihai-oversight",
            region="371000",
            case_key=event.envelope.case_key,
            recipients=["weihai-health"],
        ),
        assigned_event_id=event.envelope.event_id,
        assigned_event_type="ApprovalResult",
        assigned_to=["weihai-health"],
        assigned_by="值班员",
        original_value=serde.encode(event, "sg.weihai-approval.outbox"),
    )
    rec = record(serde, assignment, "sg.weihai-oversight.outbox")
    routed = route_record(rec, serde, DIRECTORY, pool=pool, modes=PUSHED)
    assert routed.rejected is None and routed.claimed_on_delivery == ("weihai-health",)
    claim = serde.decode(routed.out[-2].value, "sg.audit")  # before the assignment's own audit
    assert isinstance(claim, Claim) and claim.claimed_by == "weihai-health"
    assert claim.claimed_event_id == event.envelope.event_id


def test_only_approval_results_are_claimed_on_delivery(serde: Serde) -> None:
    s = Scene("weihai")
    task = s.request("VerificationTask", 3, at("2026-11-02"), by="approval", to="market")
    stamped = task.model_copy(
        update={"envelope": task.envelope.model_copy(update={"recipients": ["weihai-drc"]})}
    )
    routed = route_record(record(serde, stamped), serde, DIRECTORY, modes=PUSHED)
    assert routed.rejected is None, routed
    assert routed.claimed_on_delivery == ()


# -- the watchdog: no claim obligation, the rest as always ----------------------------------


def test_push_opens_no_claim_obligation_but_verification_and_feedback_are_tracked() -> None:
    s = Scene("anqiu")
    ingestor = Ingestor(on_delivery(), default_calendar(), city_catalogue("anqiu"))
    push = s.approval_result(1, at("2026-11-02", "15:00"))
    opened = ingestor.ingest(audit(push))
    assert {o.flow for o in opened.openings} == {"approval-push"}
    claim = s.claim(2, of=push, by="market", at=at("2026-11-02", "15:00"))
    claim = claim.model_copy(update={"mode": ClaimMode.ON_DELIVERY, "officer": None})
    answered = ingestor.ingest(audit(claim))
    # Nothing to answer, and no early answer left waiting for an obligation that never opens.
    assert answered.openings == [] and answered.answers == []
    task = s.request("VerificationTask", 3, at("2026-11-03"), by="approval", to="market")
    letter = s.request("ConsultationLetter", 4, at("2026-11-03"), by="approval", to="market")
    flows = {o.flow for e in (task, letter) for o in ingestor.ingest(audit(e)).openings}
    assert flows == {"verification-claim", "consultation-reply"}
    result = s.reply("VerificationResult", 5, task, at("2026-11-05"))
    assert "verification-result" in {o.flow for o in ingestor.ingest(audit(result)).openings}


def test_the_same_push_under_the_explicit_preset_opens_the_claim_obligation() -> None:
    s = Scene("anqiu")
    ingestor = Ingestor(load_preset("anqiu"), default_calendar(), city_catalogue("anqiu"))
    push = s.approval_result(1, at("2026-11-02", "15:00"))
    assert {o.flow for o in ingestor.ingest(audit(push)).openings} == {"approval-push", "claim"}


def test_claim_ids_do_not_depend_on_who_records_them() -> None:
    item = uuid.uuid4()
    assert claim_event_id(item, "weihai-drc") == claim_event_id(str(item), "weihai-drc")


# -- the department's store -----------------------------------------------------------------


def test_a_department_records_the_claim_made_on_delivery_and_claims_no_more(
    tmp_path: Path, serde: Serde
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'dept.db'}")
    migrate(engine)
    party = "wh-market"
    item = approval(1, party)
    claim = build_delivery_claim(item, party, T0)
    batch = Batch(
        [
            Received(Position("sg.wh-market.inbox", 0, n), event, serde.encode(event, "t"))
            for n, event in enumerate((item, claim))
        ]
    )
    dept = Department(party, "g", "sg.wh-market.outbox", serde, claim_on_receipt=True)
    with engine.begin() as conn:
        applied = apply_batch(conn, dept, batch, T0)
        rows = {r["event_id"]: r for r in find_items(conn, party)}
    # Claimed on delivery: the integrated system makes no claim of its own.
    assert applied.claimed_on_delivery == 1 and applied.claims == []
    row = rows[str(item.envelope.event_id)]
    assert row["claim_state"] == "claimed" and row["claim_mode"] == "ON_DELIVERY"
    assert row["claim_event_id"] == str(claim.envelope.event_id)
    engine.dispose()
