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
    policy = client.get("/centre/policy")
    assert policy.status_code == 200
    assert "审批结果认领" in policy.text and "记录违约并通报" in policy.text  # not flow ids


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


def test_a_verification_result_and_supervision_information(
    console: Console, client: TestClient
) -> None:
    from sgbus.bus.events import SupervisionAction, VerificationResult

    task = W.request("VerificationTask", 6, MON, by="approval", to="market")
    item = W.approval_result(7, MON)
    feed(console, audit(task), audit(item))
    log_in(client, "li.ming", MARKET, name="李明")
    form = {
        "csrf_token": CSRF,
        "outcome": "RECTIFICATION_ORDERED",
        "verified_on": "2026-10-12",
        "findings": "现场与承诺不符,已责令整改",
    }
    url = f"/items/{task.envelope.event_id}/verification"
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    missing = {k: v for k, v in form.items() if k != "findings"}
    refused = client.post(url, data=missing)
    assert refused.status_code == 400 and "findings" in refused.text
    push = {
        "csrf_token": CSRF,
        "kind": "ADMINISTRATIVE_PENALTY",
        "decision_number": "威市监罚〔2026〕8号",
        "decision_date": "2026-10-12",
        "authority_name": "威海市市场监督管理局",
        "authority_uscc": "11371000MB28512348",
        "result": "罚款五千元",
        "licence_effect": "NONE",
        "law": "中华人民共和国食品安全法",
        "article": "第一百二十二条",
    }
    done = client.post(f"/items/{item.envelope.event_id}/supervision", data=push)
    assert done.status_code == 200, done.text[:500]
    (_, result), (_, action) = publisher(console).sent
    assert isinstance(result, VerificationResult) and result.inspectors[0].name == "李明"
    assert isinstance(action, SupervisionAction)
    assert action.subject == item.licensee and action.envelope.recipients == [item.envelope.sender]
    assert action.approval_case_key == item.envelope.case_key


def test_the_centre_downloads_the_report_and_assigns_from_the_pool(
    console: Console, client: TestClient
) -> None:
    from sgbus.bus.events import CaseAssignment
    from sgbus.bus.obligations.ingest import AuditRecord

    pooled = W.approval_result(8, MON, to=("oversight",))
    feed(console, AuditRecord(pooled, (OVERSIGHT,), unassigned=True))
    log_in(client, "zhao.lei", OVERSIGHT, "officer", "oversight", name="赵磊")
    pool = client.get("/centre/pool")
    assert pool.status_code == 200 and str(pooled.envelope.event_id) in pool.text
    url = f"/centre/pool/{pooled.envelope.event_id}/assign"
    unknown = client.post(url, data={"csrf_token": CSRF, "to": ["nowhere"]})
    assert unknown.status_code == 400 and "nowhere" in unknown.text
    done = client.post(url, data={"csrf_token": CSRF, "to": [HEALTH], "reason": "目录未列明"})
    assert done.status_code == 200
    ((party, assignment),) = publisher(console).sent
    assert party == OVERSIGHT and isinstance(assignment, CaseAssignment)
    assert assignment.assigned_to == [HEALTH] and assignment.original_value == b"raw"
    assert assignment.assigned_by == "赵磊"
    for fmt, starts in (("html", b"<!DOCTYPE html"), ("xlsx", b"PK"), ("csv", b"\xef\xbb\xbf")):
        got = client.get(f"/centre/report?from=2026-10-01&to=2026-10-31&format={fmt}")
        assert got.status_code == 200 and got.content.startswith(starts), fmt
    assert client.get("/centre/report?format=pdf").status_code == 400


def test_the_admin_keeps_the_officer_directory(console: Console, client: TestClient) -> None:
    log_in(client, "root", None, "admin")
    entry = {
        "csrf_token": CSRF,
        "username": "li.ming",
        "party": MARKET,
        "name": "李明",
        "role": "officer",
        "phone": "0631-5201234",
        "email": "li.ming@example.gov.cn",
    }
    assert client.post("/admin/officers", data=entry, follow_redirects=False).status_code == 303
    page = client.get("/admin/officers")
    assert "0631-5201234" in page.text and "李明" in page.text
    bad = client.post("/admin/officers", data={**entry, "username": "Li Ming", "phone": "call me"})
    assert bad.status_code == 400 and "username:" in bad.text and "phone:" in bad.text
    assert "call me" not in bad.text  # a rejected contact value is not echoed
    gone = client.post("/admin/officers/li.ming/delete", data={"csrf_token": CSRF})
    assert gone.status_code in (200, 303)
    assert "0631-5201234" not in client.get("/admin/officers").text


def test_a_page_polling_by_itself_does_not_keep_the_session_alive(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as real_time

    from sgbus.console.web import users

    log_in(client, "li.ming", MARKET, idle_s=800)  # idle timeout 900 s
    assert client.get("/items?poll=1", headers={"HX-Request": "true"}).status_code == 200
    later = real_time.time() + 200
    monkeypatch.setattr(users.time, "time", lambda: later)
    assert client.get("/items").status_code == 401  # the poll did not count as activity
    log_in(client, "li.ming", MARKET, idle_s=800)
    monkeypatch.setattr(users.time, "time", real_time.time)
    assert client.get("/items").status_code == 200  # a real request does
    monkeypatch.setattr(users.time, "time", lambda: later)
    assert client.get("/items").status_code == 200


def test_the_centre_dashboard_and_report_name_parties_under_the_threshold(
    console: Console, client: TestClient
) -> None:
    from sgbus.consumers.watchdog.ledger import sweep

    feed(console, audit(W.approval_result(1, MON)), audit(W.approval_result(2, MON)))
    with console.engine.begin() as conn:
        sweep(conn, MON + timedelta(days=30))  # both claims expire unanswered: rate 0
    log_in(client, "zhao.lei", OVERSIGHT, "officer", "oversight")
    page = client.get("/centre?month=2026-10")
    assert page.status_code == 200
    named = page.text.split('id="named"', 1)[1].split("</ul>", 1)[0]
    assert "市场监督管理局 <small>weihai-market</small>" in named and "按时率 0.0%" in named
    assert "2026年10月" in page.text and "被督办" in page.text
    report = client.get("/centre/report?month=2026-10&format=html")
    assert report.status_code == 200
    assert "审管联动办理情况通报(2026年10月)" in report.text
    first = report.text.split("一、点名通报", 1)[1].split("二、图表", 1)[0]
    assert "市场监督管理局<small>weihai-market</small>" in first
    assert "四、督办、争议、转办" in report.text
    assert client.get("/centre?quarter=2026Q9").status_code == 400


def test_every_page_title_is_plain_text() -> None:
    """A page's <title> is one line of text: never markup swallowed by an unclosed block."""
    import re
    from pathlib import Path

    import sgbus.console.web

    folder = Path(sgbus.console.web.__file__).parent / "templates"
    titles = {
        path.name: re.search(r"{% block title %}(.*?){% endblock %}", path.read_text(), re.S)
        for path in folder.rglob("*.html")
    }
    bad = {
        name: m.group(1)[:60] for name, m in titles.items() if m and re.search(r"[<\n]", m.group(1))
    }
    assert titles and not bad, bad
