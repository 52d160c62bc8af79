"""The console's pages through HTTP: who sees what, CSRF, sessions, claims and exports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sgbus.bus.events import Claim, ConsultationReply
from sgbus.console.runtime import Console
from sgbus.console.web.users import Refused, user_from_claims
from tests.console_web import CSRF, RecordingPublisher, client_for, console_for, feed, log_in
from tests.watchdog_kit import Scene, at, audit

W = Scene("weihai")
MARKET, HEALTH, OVERSIGHT = W.party("market"), W.party("health"), W.party("oversight")
MON = at("2026-10-12", "10:00")


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return console_for(tmp_path, MON + timedelta(hours=1))


@pytest.fixture
def client(console: Console) -> TestClient:
    return client_for(console)


def publisher(console: Console) -> RecordingPublisher:
    assert isinstance(console.publisher, RecordingPublisher)
    return console.publisher


def test_without_a_session_the_browser_is_sent_to_log_in(client: TestClient) -> None:
    got = client.get("/items", follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == "/auth/login?next=/items"
    # No session, hence no CSRF token to match: refused before anything else.
    assert client.post("/items/x/claim", data={"csrf_token": CSRF}).status_code == 403


def test_an_officer_sees_their_own_partys_items_only(console: Console, client: TestClient) -> None:
    mine, theirs = W.approval_result(1, MON), W.approval_result(2, MON, to=("health",))
    feed(console, audit(mine), audit(theirs))
    log_in(client, "li.ming", MARKET)
    page = client.get("/items?tab=pending")
    assert page.status_code == 200
    assert str(mine.envelope.event_id) in page.text
    assert str(theirs.envelope.event_id) not in page.text
    assert client.get(f"/items/{theirs.envelope.event_id}").status_code == 404
    detail = client.get(f"/items/{mine.envelope.event_id}")
    assert detail.status_code == 200
    assert "统一社会信用代码" in detail.text and "全程留痕" in detail.text
    assert mine.licensee.name in detail.text  # personal data: shown to the item's own party


def test_claim_needs_the_sessions_csrf_token(console: Console, client: TestClient) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    log_in(client, "li.ming", MARKET, name="李明")
    url = f"/items/{item.envelope.event_id}/claim"
    assert client.post(url).status_code == 403
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert publisher(console).sent == []
    done = client.post(url, data={"csrf_token": CSRF}, follow_redirects=False)
    assert done.status_code == 303
    ((party, claim),) = publisher(console).sent
    assert party == MARKET and isinstance(claim, Claim)
    assert claim.officer is not None and claim.officer.name == "李明"  # from the login
    assert claim.claimed_event_id == item.envelope.event_id


def test_an_officer_cannot_claim_another_partys_item(console: Console, client: TestClient) -> None:
    theirs = W.approval_result(2, MON, to=("health",))
    feed(console, audit(theirs))
    log_in(client, "li.ming", MARKET)
    url = f"/items/{theirs.envelope.event_id}/claim"
    assert client.post(url, data={"csrf_token": CSRF}).status_code == 404
    assert publisher(console).sent == []


def test_bulk_claim_reports_each_item(console: Console, client: TestClient) -> None:
    a, b = W.approval_result(1, MON), W.approval_result(2, MON)
    foreign = W.approval_result(3, MON, to=("health",))
    feed(console, audit(a), audit(b), audit(foreign))
    log_in(client, "li.ming", MARKET)
    ids = [str(e.envelope.event_id) for e in (a, b, foreign)]
    got = client.post("/items/claim", data={"csrf_token": CSRF, "event_id": ids})
    assert got.status_code == 200
    assert [p for p, _ in publisher(console).sent] == [MARKET, MARKET]
    claimed = {str(e.claimed_event_id) for _, e in publisher(console).sent if isinstance(e, Claim)}
    assert claimed == set(ids[:2])
    assert got.text.count("认领成功") == 2 and "不属于本部门" in got.text


def test_an_idle_session_expires(console: Console, client: TestClient) -> None:
    log_in(client, "li.ming", MARKET, idle_s=3600)
    got = client.get("/items")
    assert got.status_code == 401 and "会话已过期" in got.text
    assert client.get("/items", follow_redirects=False).status_code == 303  # session cleared


def test_roles_guard_the_centre(console: Console, client: TestClient) -> None:
    log_in(client, "li.ming", MARKET)
    assert client.get("/centre").status_code == 403
    assert client.get("/admin/officers").status_code == 403
    log_in(client, "zhao.lei", OVERSIGHT, "officer", "oversight")
    assert client.get("/centre").status_code == 200
    assert client.get("/centre/policy").status_code == 200


def test_the_centre_sees_any_item_with_personal_data_masked(
    console: Console, client: TestClient
) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    log_in(client, "zhao.lei", OVERSIGHT, "officer", "oversight")
    overdue_free = client.get("/centre/overdue")
    assert overdue_free.status_code == 200
    page = client.get(f"/centre/items/{item.envelope.event_id}/{MARKET}")
    assert page.status_code == 200 and "个人信息已遮蔽" in page.text
    assert item.licensee.legal_representative
    assert item.licensee.legal_representative not in page.text


def test_a_consultation_reply_goes_out_as_the_officers_party(
    console: Console, client: TestClient
) -> None:
    letter = W.request("ConsultationLetter", 5, MON, by="approval", to="market")
    feed(console, audit(letter))
    log_in(client, "li.ming", MARKET, name="李明")
    url = f"/items/{letter.envelope.event_id}/reply"
    form = {"csrf_token": CSRF, "position": "DISAGREE", "text": ""}
    refused = client.post(url, data=form)
    assert refused.status_code == 400 and "须填写答复内容" in refused.text
    form["text"] = "与本部门规划不一致"
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    ((party, reply),) = publisher(console).sent
    assert party == MARKET and isinstance(reply, ConsultationReply)
    assert reply.letter_event_id == letter.envelope.event_id and reply.reply == form["text"]


def test_a_broker_outage_is_said_and_nothing_is_recorded(
    console: Console, client: TestClient
) -> None:
    item = W.approval_result(1, MON)
    feed(console, audit(item))
    publisher(console).down = True
    log_in(client, "li.ming", MARKET)
    got = client.post(f"/items/{item.envelope.event_id}/claim", data={"csrf_token": CSRF})
    assert got.status_code == 503 and "总线暂不可用" in got.text


def test_export_of_the_filtered_list(console: Console, client: TestClient) -> None:
    feed(console, audit(W.approval_result(1, MON)), audit(W.approval_result(2, MON)))
    log_in(client, "li.ming", MARKET)
    csv = client.get("/items/export.csv?tab=all")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("事项类型,案件键") and len(lines) == 3
    xlsx = client.get("/items/export.xlsx?tab=all")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_bad_filter_values_name_the_field(client: TestClient) -> None:
    log_in(client, "li.ming", MARKET)
    got = client.get("/items?decided_from=2026-13-40")
    assert got.status_code == 400 and "decided_from" in got.text


def test_security_headers(client: TestClient) -> None:
    got = client.get("/items", follow_redirects=False)
    assert "frame-ancestors 'none'" in got.headers["content-security-policy"]
    assert got.headers["x-content-type-options"] == "nosniff"


def test_claims_give_the_console_user() -> None:
    parties = [MARKET, HEALTH, OVERSIGHT]
    user = user_from_claims(
        {
            "preferred_username": "li.ming",
            "given_name": "李明",
            "groups": [MARKET],
            "roles": ["officer", "offline_access"],
        },
        parties,
    )
    assert (user.party, user.roles, user.name) == (MARKET, frozenset({"officer"}), "李明")
    with pytest.raises(Refused, match="多个部门"):
        user_from_claims(
            {"preferred_username": "x", "groups": [MARKET, HEALTH], "roles": ["officer"]}, parties
        )
    with pytest.raises(Refused, match="角色"):
        user_from_claims({"preferred_username": "x", "groups": [MARKET]}, parties)
    with pytest.raises(Refused, match="未加入任何部门"):
        user_from_claims({"preferred_username": "x", "roles": ["officer"]}, parties)
    admin = user_from_claims({"preferred_username": "root", "roles": ["admin"]}, parties)
    assert admin.party is None and admin.has("admin")
