"""The HTTP gateway without a broker: tokens, validation, idempotent receipts, pull, claims."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sgbus.bus.events import Claim
from sgbus.console.runtime import Console
from sgbus.gateway.app import Gateway, create_gateway
from sgbus.gateway.limits import RateLimiter
from sgbus.gateway.tokens import Caller, TokenRefused
from tests.console_web import RecordingPublisher, console_for, feed
from tests.watchdog_kit import Scene, at, audit

W = Scene("weihai")
APPROVAL, MARKET, HEALTH = W.party("approval"), W.party("market"), W.party("health")
MON = at("2026-10-12", "10:00")
TOKENS = {"t-approval": APPROVAL, "t-market": MARKET, "t-health": HEALTH}


def result(n: int) -> Any:
    """An approval result the bus's validation accepts (case key = region:document number)."""
    event = W.approval_result(n, MON)
    key = f"{W.region}:{event.document_number}"  # type: ignore[attr-defined]
    return event.model_copy(
        update={"envelope": event.envelope.model_copy(update={"case_key": key})}
    )


def verify(authorization: str | None) -> Caller:
    token = (authorization or "").removeprefix("Bearer ")
    if token not in TOKENS:
        raise TokenRefused("the token is not valid")
    return Caller(TOKENS[token])


@pytest.fixture
def console(tmp_path: Path) -> Console:
    return console_for(tmp_path, MON + timedelta(hours=1))


def gateway_of(console: Console, **kw: object) -> tuple[TestClient, RecordingPublisher]:
    publisher = RecordingPublisher()
    gateway = Gateway(console.engine, verify, publisher, console.now, **kw)  # type: ignore[arg-type]
    return TestClient(create_gateway(gateway)), publisher


def as_(party_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {party_token}"}


def test_publish_answers_with_the_receipt_and_a_resend_with_the_same(console: Console) -> None:
    client, publisher = gateway_of(console)
    body = json.loads(result(1).model_dump_json())
    first = client.post("/v1/events", json=body, headers=as_("t-approval"))
    assert first.status_code == 202
    assert first.json()["event_id"] == body["envelope"]["event_id"]
    again = client.post("/v1/events", json=body, headers=as_("t-approval"))
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true"
    assert len(publisher.sent) == 1
    body["licence_content"] = "另一内容"
    clash = client.post("/v1/events", json=body, headers=as_("t-approval"))
    assert clash.status_code == 409 and len(publisher.sent) == 1


def test_refusals_name_the_fields_without_values(console: Console) -> None:
    client, publisher = gateway_of(console)
    body = json.loads(result(1).model_dump_json())
    assert client.post("/v1/events", json=body).status_code == 401
    assert client.post("/v1/events", json=body, headers=as_("forged")).status_code == 401
    assert client.post("/v1/events", json=body, headers=as_("t-market")).status_code == 403
    secret_phone = "13800000000x"
    body["licensee"]["phone"] = secret_phone
    body["licensee"]["uscc"] = "not-a-code"
    del body["document_number"]
    got = client.post("/v1/events", json=body, headers=as_("t-approval"))
    assert got.status_code == 422
    fields = {f["field"] for f in got.json()["fields"]}
    assert "document_number" in fields
    assert secret_phone not in got.text
    assert publisher.sent == []
    assert client.post("/v1/events", content=b"{", headers=as_("t-approval")).status_code == 400


def test_a_body_too_large_is_refused(console: Console) -> None:
    client, _ = gateway_of(console, max_body_bytes=1000)
    body = json.loads(result(1).model_dump_json())
    assert client.post("/v1/events", json=body, headers=as_("t-approval")).status_code == 413


def test_rate_limit_per_party(console: Console) -> None:
    client, _ = gateway_of(console, limiter=RateLimiter(rate=0.01, burst=2))
    codes = [client.get("/v1/inbox", headers=as_("t-market")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/v1/inbox", headers=as_("t-health")).status_code == 200  # its own bucket


def test_pull_with_a_stable_cursor_and_claim(console: Console) -> None:
    client, publisher = gateway_of(console)
    first, second = result(1), result(2)
    feed(console, audit(first))
    page = client.get("/v1/inbox?limit=10", headers=as_("t-market")).json()
    assert [i["event_id"] for i in page["items"]] == [str(first.envelope.event_id)]
    feed(console, audit(second), first_offset=1)
    again = client.get("/v1/inbox?limit=10", headers=as_("t-market")).json()
    assert len(again["items"]) == 2  # no cursor: from the start
    after = client.get(f"/v1/inbox?after={page['next']}", headers=as_("t-market")).json()
    assert [i["event_id"] for i in after["items"]] == [str(second.envelope.event_id)]
    assert client.get("/v1/inbox", headers=as_("t-health")).json()["items"] == []
    assert client.get("/v1/inbox?after=zzz", headers=as_("t-market")).status_code == 400
    url = f"/v1/inbox/{first.envelope.event_id}/claim"
    assert client.post(url, headers=as_("t-health")).status_code == 404  # not delivered to it
    claimed = client.post(url, headers=as_("t-market"))
    assert claimed.status_code == 202
    assert client.post(url, headers=as_("t-market")).json() == claimed.json()
    ((party, claim),) = publisher.sent
    assert party == MARKET and isinstance(claim, Claim)
    assert claim.claimed_event_id == first.envelope.event_id


def test_the_openapi_document_is_served(console: Console) -> None:
    client, _ = gateway_of(console)
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1") and "/v1/events" in doc["paths"]


def test_the_committed_openapi_document_is_the_generated_one() -> None:
    from sgbus.gateway.openapi import OPENAPI_PATH, render

    assert OPENAPI_PATH.read_text(encoding="utf-8") == render(), "run `sgbus gateway openapi`"
    doc = json.loads(render())
    body = doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    refs = {s["$ref"] for s in body["schema"]["oneOf"]}
    assert "../jsonschema/ApprovalResult.schema.json" in refs
    here = OPENAPI_PATH.parent
    assert all((here / ref).resolve().is_file() for ref in refs)  # every schema it names exists
