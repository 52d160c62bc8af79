"""转办, 争议, 争议裁定 and 督办 in the console, and the fixed 函询 answers: CSRF, party scoping,
the event each form publishes (through a recording publisher), and the state the read model
shows once the router's audit record of the action comes back."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sgbus.bus.actions import action_id
from sgbus.bus.events import (
    ConsultationPosition,
    ConsultationReply,
    DisputeRuling,
    Event,
    ItemTransfer,
    ResponsibilityDispute,
    Urging,
)
from sgbus.console.runtime import Console
from sgbus.consumers.watchdog.clock import FixedClock
from sgbus.gateway.app import Gateway, create_gateway
from sgbus.gateway.tokens import Caller, TokenRefused
from tests.console_web import CSRF, RecordingPublisher, client_for, console_for, feed, log_in
from tests.watchdog_kit import Scene, at, audit

W = Scene("weihai")
MARKET, HEALTH, OVERSIGHT = W.party("market"), W.party("health"), W.party("oversight")
MON = at("2026-10-12", "10:00")
LATER = at("2026-10-30", "10:00")  # every claim period of a Monday-10-12 item has passed
FORM = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return console_for(tmp_path, MON + timedelta(hours=1))


@pytest.fixture
def client(console: Console) -> TestClient:
    return client_for(console)


def sent(console: Console) -> list[tuple[str, Event]]:
    assert isinstance(console.publisher, RecordingPublisher)
    return console.publisher.sent


def as_centre(client: TestClient) -> None:
    log_in(client, "zhao.lei", OVERSIGHT, "officer", "oversight", name="赵磊")


def back_through_the_router(console: Console, *events: Event, offset: int = 100) -> None:
    """The audit records the router writes for what the console published."""
    records = []
    for e in events:
        to = (OVERSIGHT,) if isinstance(e, ResponsibilityDispute) else None
        records.append(audit(e, to))
    feed(console, *records, first_offset=offset)


def test_a_transfer_goes_out_as_the_officers_party_once(
    console: Console, client: TestClient
) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    log_in(client, "li.ming", MARKET, name="李明")
    page = client.get(f"/items/{item.envelope.event_id}")
    assert 'id="transfer-form"' in page.text and 'id="dispute-form"' in page.text
    assert "卫生健康局" in page.text and f'value="{MARKET}"' not in page.text  # by name, not self
    url = f"/items/{item.envelope.event_id}/transfer"
    form = {"csrf_token": CSRF, "to": HEALTH, "reason": "属卫生健康部门职责"}
    assert (
        client.post(url, data={k: v for k, v in form.items() if k != "csrf_token"}).status_code
        == 403
    )
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(url, data={**form, "to": "nowhere"}).status_code == 400
    assert client.post(url, data={**form, "to": MARKET}).status_code == 400
    no_reason = client.post(url, data={**form, "reason": "  "})
    assert no_reason.status_code == 400 and "须填写转办理由" in no_reason.text
    assert sent(console) == []
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    assert client.post(url, data=form, follow_redirects=False).status_code == 303  # double click
    (party, first), (_, second) = sent(console)
    assert party == MARKET and isinstance(first, ItemTransfer)
    assert first.transferred_to == HEALTH and first.item_event_id == item.envelope.event_id
    assert first.officer is not None and first.officer.name == "李明"
    assert first.envelope.event_id == second.envelope.event_id  # the bus takes it once
    # The same id as the CLI and the SDK give the same transfer.
    assert first.envelope.event_id == action_id(
        item.envelope.event_id, MARKET, f"transfer|{HEALTH}"
    )


def test_after_a_transfer_the_item_is_the_receivers(console: Console, client: TestClient) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    log_in(client, "li.ming", MARKET, name="李明")
    form = {"csrf_token": CSRF, "to": HEALTH, "reason": "属卫生健康部门职责"}
    client.post(f"/items/{item.envelope.event_id}/transfer", data=form)
    ((_, transfer),) = sent(console)
    back_through_the_router(console, transfer)
    page = client.get(f"/items/{item.envelope.event_id}")
    assert "已转办(转给 卫生健康局)" in page.text
    assert 'id="transfer-form"' not in page.text and 'id="claim-button"' not in page.text
    assert client.post(f"/items/{item.envelope.event_id}/claim", data=form).status_code == 409
    again = client.post(f"/items/{item.envelope.event_id}/dispute", data=form)
    assert again.status_code == 409 and len(sent(console)) == 1
    assert str(item.envelope.event_id) in client.get("/items?tab=claimed").text  # done
    history = page.text.split("全程留痕", 1)[1]
    assert "转办" in history and "→ 卫生健康局" in history
    log_in(client, "wang.fang", HEALTH)
    mine = client.get(f"/items/{transfer.envelope.event_id}")
    assert mine.status_code == 200 and 'id="claim-button"' in mine.text
    assert "办理期限" in mine.text  # the receiver's own claim period, counted from the transfer
    assert str(transfer.envelope.event_id) in client.get("/items?tab=pending").text


def test_an_officer_cannot_act_on_another_partys_item(console: Console, client: TestClient) -> None:
    theirs = W.approval_result(2, MON, to=("health",))
    feed(console, audit(theirs))
    log_in(client, "li.ming", MARKET)
    base = f"/items/{theirs.envelope.event_id}"
    assert (
        client.post(
            f"{base}/transfer", data={"csrf_token": CSRF, "to": HEALTH, "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"{base}/dispute", data={"csrf_token": CSRF, "reason": "x"}).status_code == 404
    )
    # Nor act for the centre: its routes need the oversight role.
    urge = {"csrf_token": CSRF, "message": "请认领", "form_id": FORM}
    assert (
        client.post(
            f"/centre/items/{theirs.envelope.event_id}/{HEALTH}/urge", data=urge
        ).status_code
        == 403
    )
    rule = {"csrf_token": CSRF, "assigned_to": MARKET, "reason": "x"}
    assert (
        client.post(f"/centre/disputes/{theirs.envelope.event_id}/rule", data=rule).status_code
        == 403
    )
    assert sent(console) == []


def test_a_dispute_stops_the_clock_and_the_centre_rules_it_to_another_department(
    console: Console, client: TestClient
) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    log_in(client, "li.ming", MARKET, name="李明")
    url = f"/items/{item.envelope.event_id}/dispute"
    assert client.post(url, data={"reason": "不属本部门"}).status_code == 403
    refused = client.post(url, data={"csrf_token": CSRF, "reason": ""})
    assert refused.status_code == 400 and "须填写争议理由" in refused.text
    done = client.post(
        url, data={"csrf_token": CSRF, "reason": "不属本部门"}, follow_redirects=False
    )
    assert done.status_code == 303
    ((party, dispute),) = sent(console)
    assert party == MARKET and isinstance(dispute, ResponsibilityDispute)
    assert dispute.item_event_id == item.envelope.event_id and dispute.reason == "不属本部门"
    back_through_the_router(console, dispute)
    console.clock = FixedClock(LATER)  # past the claim deadline: the stopped clock is not late
    page = client.get(f"/items/{item.envelope.event_id}")
    assert "争议中(待中心裁定" in page.text and 'id="claim-button"' not in page.text
    assert str(item.envelope.event_id) not in client.get("/items?tab=overdue").text
    assert str(item.envelope.event_id) in client.get("/items?tab=pending").text

    as_centre(client)
    pool = client.get("/centre/pool")
    assert "待裁定职责争议" in pool.text and "不属本部门" in pool.text
    assert "退回争议部门:市场监督管理局" in pool.text
    rule_url = f"/centre/disputes/{dispute.envelope.event_id}/rule"
    form = {"csrf_token": CSRF, "assigned_to": HEALTH, "reason": "属卫生健康部门职责"}
    assert client.post(rule_url, data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(rule_url, data={**form, "assigned_to": "nowhere"}).status_code == 400
    assert (
        client.post(f"/centre/disputes/{item.envelope.event_id}/rule", data=form).status_code == 404
    )
    no_reason = client.post(rule_url, data={**form, "reason": ""})
    assert no_reason.status_code == 400 and "须填写裁定理由" in no_reason.text
    assert client.post(rule_url, data=form).status_code == 200
    (_, (centre, ruling)) = sent(console)
    assert centre == OVERSIGHT and isinstance(ruling, DisputeRuling)
    assert (ruling.assigned_to, ruling.disputed_by, ruling.decided_by) == (HEALTH, MARKET, "赵磊")
    assert ruling.dispute_event_id == dispute.envelope.event_id
    back_through_the_router(console, ruling, offset=200)
    assert "没有待裁定的职责争议" in client.get("/centre/pool").text
    assert client.post(rule_url, data=form).status_code == 409  # ruled once

    log_in(client, "li.ming", MARKET)
    assert "争议已裁定(改由 卫生健康局 办理)" in client.get(f"/items/{item.envelope.event_id}").text
    log_in(client, "wang.fang", HEALTH)
    handed = client.get(f"/items/{ruling.envelope.event_id}")
    assert handed.status_code == 200 and 'id="claim-button"' in handed.text


def test_a_dispute_ruled_back_gives_the_item_back_to_claim(
    console: Console, client: TestClient
) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    log_in(client, "li.ming", MARKET)
    client.post(
        f"/items/{item.envelope.event_id}/dispute", data={"csrf_token": CSRF, "reason": "存疑"}
    )
    ((_, dispute),) = sent(console)
    back_through_the_router(console, dispute)
    as_centre(client)
    form = {"csrf_token": CSRF, "assigned_to": MARKET, "reason": "目录明确由市场监管部门监管"}
    assert (
        client.post(f"/centre/disputes/{dispute.envelope.event_id}/rule", data=form).status_code
        == 200
    )
    ruling = sent(console)[-1][1]
    back_through_the_router(console, ruling, offset=200)
    log_in(client, "li.ming", MARKET)
    page = client.get(f"/items/{item.envelope.event_id}")
    assert "争议已裁定(退回本部门)" in page.text and 'id="claim-button"' in page.text
    assert 'id="dispute-form"' not in page.text  # a ruling is final: no second dispute
    ruling_item = client.get(f"/items/{ruling.envelope.event_id}")
    assert 'id="claim-button"' not in ruling_item.text  # the item itself is claimed, not this


def test_the_centre_urges_on_an_overdue_item_and_the_count_shows(
    console: Console, client: TestClient
) -> None:
    late, fresh = W.approval_result(1, MON), W.approval_result(2, LATER - timedelta(hours=1))
    feed(console, audit(late), audit(fresh))
    console.clock = FixedClock(LATER)
    as_centre(client)
    overdue = client.get("/centre/overdue")
    assert overdue.status_code == 200 and 'name="form_id"' in overdue.text
    form_id = re.search(r'name="form_id" value="([0-9a-f]{32})"', overdue.text)
    assert form_id is not None
    url = f"/centre/items/{late.envelope.event_id}/{MARKET}/urge"
    form = {"csrf_token": CSRF, "message": "请于今日内认领", "form_id": form_id.group(1)}
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(url, data={**form, "form_id": ""}).status_code == 400
    assert client.post(url, data={**form, "message": " "}).status_code == 400
    assert (
        client.post(f"/centre/items/{late.envelope.event_id}/{HEALTH}/urge", data=form).status_code
        == 404
    )
    not_due = client.post(f"/centre/items/{fresh.envelope.event_id}/{MARKET}/urge", data=form)
    assert not_due.status_code == 409 and sent(console) == []
    assert client.post(url, data=form).status_code == 200
    assert client.post(url, data=form).status_code == 200  # the same form again
    assert client.post(url, data={**form, "form_id": FORM}).status_code == 200  # a second urging
    (party, one), (_, same), (_, other) = sent(console)
    assert party == OVERSIGHT and isinstance(one, Urging)
    assert one.urged_party == MARKET and one.item_event_id == late.envelope.event_id
    assert one.obligation_id is not None and one.message == "请于今日内认领"
    assert one.envelope.event_id == same.envelope.event_id != other.envelope.event_id
    back_through_the_router(console, one, same, other)
    centre_view = client.get(f"/centre/items/{late.envelope.event_id}/{MARKET}")
    assert "已督办 2 次" in centre_view.text and 'id="urge-form"' in centre_view.text
    log_in(client, "li.ming", MARKET)
    assert "已督办 2 次" in client.get("/items?tab=overdue").text
    history = client.get(f"/items/{late.envelope.event_id}").text.split("全程留痕", 1)[1]
    assert history.count("督办") >= 2


def test_consultation_answers_are_the_fixed_set(console: Console, client: TestClient) -> None:
    letter = W.request("ConsultationLetter", 5, MON, by="approval", to="market")
    feed(console, audit(letter))
    log_in(client, "li.ming", MARKET, name="李明")
    page = client.get(f"/items/{letter.envelope.event_id}").text
    assert ">有条件同意<" in page and ">不同意<" in page and "原则同意" not in page
    url = f"/items/{letter.envelope.event_id}/reply"
    form = {"csrf_token": CSRF, "position": "AGREE_WITH_COMMENTS", "text": ""}
    refused = client.post(url, data=form)
    assert refused.status_code == 400 and "所附条件" in refused.text
    assert client.post(url, data={**form, "position": "UNKNOWN"}).status_code == 400
    assert client.post(url, data={**form, "position": "MAYBE"}).status_code == 400
    form["text"] = "须先取得消防验收"
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    ((party, reply),) = sent(console)
    assert party == MARKET and isinstance(reply, ConsultationReply)
    assert reply.position is ConsultationPosition.AGREE_WITH_COMMENTS
    assert reply.envelope.event_id == action_id(letter.envelope.event_id, MARKET, "reply")


def test_a_broker_outage_during_a_transfer_is_said_and_nothing_recorded(
    console: Console, client: TestClient
) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    assert isinstance(console.publisher, RecordingPublisher)
    console.publisher.down = True
    log_in(client, "li.ming", MARKET)
    form = {"csrf_token": CSRF, "to": HEALTH, "reason": "属卫生健康部门职责"}
    got = client.post(f"/items/{item.envelope.event_id}/transfer", data=form)
    assert got.status_code == 503 and "总线暂不可用" in got.text and "未产生任何记录" in got.text
    assert sent(console) == []
    assert 'id="transfer-form"' in client.get(f"/items/{item.envelope.event_id}").text


def test_the_gateway_takes_the_actions_from_the_acting_party_only(console: Console) -> None:
    from sgbus.bus.actions import build_dispute, build_ruling, build_transfer, build_urging

    tokens = {"t-market": MARKET, "t-health": HEALTH, "t-oversight": OVERSIGHT}

    def verify(authorization: str | None) -> Caller:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in tokens:
            raise TokenRefused("the token is not valid")
        return Caller(tokens[token])

    publisher = RecordingPublisher()
    gateway = Gateway(console.engine, verify, publisher, console.now)  # type: ignore[arg-type]
    client = TestClient(create_gateway(gateway))
    item = W.approval_result(1, MON)
    transfer = build_transfer(item, MARKET, HEALTH, "属卫生健康部门职责", MON, officer="李明")
    dispute = build_dispute(item, MARKET, "不属本部门", MON)
    ruling = build_ruling(dispute, OVERSIGHT, HEALTH, "属卫生健康部门职责", "赵磊", MON)
    urging = build_urging(
        oversight=OVERSIGHT,
        urged_party=MARKET,
        item_event_id=str(item.envelope.event_id),
        item_event_type="ApprovalResult",
        region=W.region,
        case_key=item.envelope.case_key,
        message="请于今日内认领",
        at=MON,
    )

    def post(event: Event, token: str) -> int:
        body = json.loads(event.model_dump_json())
        return client.post(
            "/v1/events", json=body, headers={"Authorization": f"Bearer {token}"}
        ).status_code

    assert post(transfer, "t-health") == 403  # not the sender's token
    assert post(ruling, "t-market") == 403
    assert [post(transfer, "t-market"), post(dispute, "t-market")] == [202, 202]
    assert [post(ruling, "t-oversight"), post(urging, "t-oversight")] == [202, 202]
    assert [type(e).__name__ for _, e in publisher.sent] == [
        "ItemTransfer",
        "ResponsibilityDispute",
        "DisputeRuling",
        "Urging",
    ]
