"""Department service, pure parts: claim ids and contents, batch decisions, retry policy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from confluent_kafka.schema_registry.error import SchemaRegistryError

from sgbus.bus.claims import (
    INTEGRATED_NOTE,
    build_claim,
    child_traceparent,
    claim_event_id,
)
from sgbus.bus.events import Claim, ClaimMode, event_type_of
from sgbus.bus.headers import EVENT_ID as EVENT_ID_HEADER
from sgbus.bus.headers import EVENT_TYPE as EVENT_TYPE_HEADER
from sgbus.bus.headers import TRACEPARENT as TRACEPARENT_HEADER
from sgbus.bus.serde import DecodeError, build_serde
from sgbus.bus.serde.errors import FramingError
from sgbus.bus.validation import check_event
from sgbus.consumers.department.intake import (
    Position,
    Received,
    auto_claim_notice,
    claim_message,
    integrated_claims,
    to_item,
)
from sgbus.runtime.faults import is_transient
from tests.department_events import APPROVAL, approval, auto_claim_of, notice

PARTY = "wh-market"
AT = datetime(2026, 11, 21, 3, 4, 5, 678000, tzinfo=UTC)


def test_claim_id_depends_only_on_the_item_and_the_party() -> None:
    item = uuid.uuid4()
    assert claim_event_id(item, PARTY) == claim_event_id(str(item), PARTY)
    assert claim_event_id(item, PARTY) != claim_event_id(item, "wh-health")
    assert claim_event_id(item, PARTY) != claim_event_id(uuid.uuid4(), PARTY)
    assert claim_event_id(item, PARTY).version == 5


def test_a_claim_answers_its_item_and_goes_back_to_the_sender() -> None:
    cause = approval(1, PARTY)
    claim = build_claim(cause, PARTY, AT, officer="王五")
    env = claim.envelope
    assert env.event_id == claim_event_id(cause.envelope.event_id, PARTY)
    assert (env.sender, env.recipients) == (PARTY, [APPROVAL])
    assert (env.case_key, env.region) == (cause.envelope.case_key, cause.envelope.region)
    assert env.correlation_id == cause.envelope.correlation_id
    assert env.causation_id == cause.envelope.event_id
    assert env.event_type == "Claim" and env.occurred_at == AT
    assert claim.claimed_event_id == cause.envelope.event_id
    assert claim.claimed_event_type == "ApprovalResult"
    assert (claim.mode, claim.claimed_by, claim.claimed_at) == (ClaimMode.MANUAL, PARTY, AT)
    assert claim.officer is not None and claim.officer.name == "王五"
    assert claim.note is None
    check_event(claim)  # the router validates; a claim it would dead-letter is a bug here


def test_an_integrated_claim_has_no_officer_and_says_how_it_came_about() -> None:
    claim = build_claim(approval(2, PARTY), PARTY, AT, integrated=True)
    assert claim.officer is None and claim.note == INTEGRATED_NOTE
    assert claim.mode == ClaimMode.INTEGRATED
    check_event(claim)
    with pytest.raises(ValueError, match="no officer"):
        build_claim(approval(2, PARTY), PARTY, AT, integrated=True, officer="王五")


def test_the_same_item_gives_the_same_claim_bytes_and_id_when_built_again() -> None:
    serde = build_serde(None)
    a = build_claim(approval(3, PARTY), PARTY, AT, integrated=True)
    b = build_claim(approval(3, PARTY), PARTY, AT, integrated=True)
    assert serde.encode(a, "sg.wh-market.outbox") == serde.encode(b, "sg.wh-market.outbox")
    back = serde.decode(serde.encode(a, "t"), "t")
    assert isinstance(back, Claim) and back == a


def test_claim_message_is_keyed_by_case_and_carries_ids_in_headers() -> None:
    claim = build_claim(approval(4, PARTY), PARTY, AT)
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    msg = claim_message(claim, b"v", "sg.wh-market.outbox", parent)
    assert msg.key == claim.envelope.case_key.encode()
    assert msg.event_id == str(claim.envelope.event_id)
    assert msg.headers[EVENT_ID_HEADER] == msg.event_id
    assert msg.headers[EVENT_TYPE_HEADER] == "Claim"
    assert msg.headers[TRACEPARENT_HEADER].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert msg == claim_message(claim, b"v", "sg.wh-market.outbox", parent)


@pytest.mark.parametrize(
    "parent",
    [None, "", "garbage", "00-" + "0" * 32 + "-b7ad6b7169203331-01", "01-abc-def-00"],
)
def test_without_a_valid_parent_a_claim_starts_its_own_trace(parent: str | None) -> None:
    eid = uuid.uuid4()
    assert child_traceparent(parent, eid) == f"00-{eid.hex}-{eid.hex[:16]}-01"


def test_only_claimable_new_items_get_an_integrated_claim() -> None:
    events = [approval(5, PARTY), notice(5, PARTY), approval(6, PARTY)]
    received = {
        str(e.envelope.event_id): Received(Position("sg.wh-market.inbox", 0, i), e, b"x")
        for i, e in enumerate(events)
    }
    items = [to_item(r, AT, PARTY) for r in received.values()]
    planned = integrated_claims(items, received, PARTY, AT)
    assert [c.claimed_event_id for c, _ in planned] == [
        events[0].envelope.event_id,
        events[2].envelope.event_id,
    ]
    assert all(r.event.envelope.event_id == c.claimed_event_id for c, r in planned)


def test_an_item_row_keeps_identity_and_position_but_no_payload_fields() -> None:
    ev = approval(7, PARTY)
    item = to_item(Received(Position("sg.wh-market.inbox", 2, 41), ev, b"raw"), AT, PARTY)
    assert (item.event_id, item.event_type, item.case_key, item.sender) == (
        str(ev.envelope.event_id),
        event_type_of(ev),
        ev.envelope.case_key,
        APPROVAL,
    )
    assert (item.source_partition, item.source_offset, item.value) == (2, 41, b"raw")
    assert item.claimable


def test_an_auto_claim_is_recognised_only_for_this_party() -> None:
    item = approval(8, PARTY)
    ac = auto_claim_of(item, PARTY)
    found = auto_claim_notice(ac, PARTY)
    assert found is not None
    assert found.item_event_id == str(item.envelope.event_id)
    assert found.auto_claim_event_id == str(ac.envelope.event_id)
    assert found.at == ac.claimed_at
    assert auto_claim_notice(ac, "wh-health") is None
    assert auto_claim_notice(item, PARTY) is None


def _decode_error(cause: BaseException) -> DecodeError:
    try:
        try:
            raise FramingError("schema id 7: x") from cause
        except FramingError as framing:
            raise DecodeError("t", 0, 1, "schema id 7: x") from framing
    except DecodeError as exc:
        return exc


def test_bad_bytes_and_unknown_schema_ids_are_final_but_an_unreachable_registry_is_not() -> None:
    import httpx

    assert not is_transient(DecodeError("t", 0, 1, "magic byte 0x07"))
    assert not is_transient(_decode_error(SchemaRegistryError(404, 40403, "not found")))
    assert is_transient(_decode_error(SchemaRegistryError(503, -1, "unavailable")))
    assert is_transient(_decode_error(SchemaRegistryError(429, -1, "slow down")))
    assert is_transient(_decode_error(httpx.ConnectError("refused")))
    assert is_transient(_decode_error(ConnectionRefusedError()))
    assert not is_transient(_decode_error(ValueError("bad json")))


def test_claim_on_receipt_and_store_come_from_flags_then_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sgbus.bus.settings import Settings
    from sgbus.consumers.department.service import from_settings, group_id

    monkeypatch.setenv("SGBUS_CLAIM_ON_RECEIPT_PARTIES", '["wh-market"]')
    monkeypatch.setenv("SGBUS_DEPARTMENT_DB", "postgresql+psycopg://db/dept_{party}")
    settings = Settings()
    market = from_settings(settings, "wh-market")
    assert market.claim_on_receipt and market.db_url == "postgresql+psycopg://db/dept_wh-market"
    assert not from_settings(settings, "wh-health").claim_on_receipt
    assert from_settings(settings, "wh-health", claim_on_receipt=True).claim_on_receipt
    assert from_settings(settings, "wh-health", db_url="sqlite://").db_url == "sqlite://"
    assert group_id("wh-market") == "sgbus-department-wh-market"
    with pytest.raises(ValueError, match="bad party id"):
        from_settings(settings, "WH market")


def test_the_deprecated_auto_claim_setting_still_works_and_warns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import structlog

    from sgbus.bus.settings import Settings
    from sgbus.consumers.department.service import from_settings

    monkeypatch.setenv("SGBUS_AUTO_CLAIM_PARTIES", '["wh-health"]')
    monkeypatch.setenv("SGBUS_CLAIM_ON_RECEIPT_PARTIES", '["wh-market"]')
    settings = Settings()
    with structlog.testing.capture_logs() as logs:
        assert from_settings(settings, "wh-health").claim_on_receipt
        assert from_settings(settings, "wh-market").claim_on_receipt
    assert any(
        e["event"].startswith("deprecated setting") and e["setting"] == "SGBUS_AUTO_CLAIM_PARTIES"
        for e in logs
    )
