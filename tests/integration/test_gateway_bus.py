"""The HTTP gateway on the real secured stack: a party's own client-credentials token, an event
published over HTTP reaching the department, pulled by it over HTTP and claimed back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sgbus.bus import headers as h
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.security import access_token
from sgbus.gateway.serve import GatewaySettings, serving_gateway
from sgbus.stack.testing import free_ports
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results, running_router

pytestmark = pytest.mark.integration
APPROVAL = "weihai-approval"
MATTER = "WH-A1-001"


def token_of(stack: Any, principal: str) -> str:
    """An access token by the client credentials grant, as a party's own system gets one."""
    return access_token(stack.credentials_of(principal))


@pytest.fixture(scope="module")
def gateway(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = bus_settings(stack)
    (port,) = free_ports(1)
    db = f"sqlite:///{tmp_path_factory.mktemp('gateway') / 'gateway.db'}"
    with running_router(settings), serving_gateway(settings, GatewaySettings(port=port), db) as url:
        yield url


def test_publish_pull_and_claim_over_http(stack: Any, gateway: str) -> None:
    (result,) = results(1, seed=81, matters=[MATTER], base_serial=81_000)
    (dept,) = [p.id for p in CATALOGUE.supervisors_of(MATTER, "371000")]
    bureau = {"Authorization": f"Bearer {token_of(stack, APPROVAL)}"}
    body = json.loads(result.model_dump_json())
    accepted = httpx.post(f"{gateway}/v1/events", json=body, headers=bureau)
    assert accepted.status_code == 202, accepted.text
    receipt = accepted.json()
    assert receipt["event_id"] == body["envelope"]["event_id"]
    assert receipt["topic"] == f"sg.{APPROVAL}.outbox"
    again = httpx.post(f"{gateway}/v1/events", json=body, headers=bureau)
    assert again.json() == receipt and again.headers["Idempotent-Replay"] == "true"

    officer = {"Authorization": f"Bearer {token_of(stack, dept)}"}
    deadline, seen, cursor = time.monotonic() + 90, [], None
    while not seen:
        assert time.monotonic() < deadline, "not delivered in time"
        params = {"limit": 500, **({"after": cursor} if cursor else {})}
        page = httpx.get(f"{gateway}/v1/inbox", params=params, headers=officer).json()
        cursor = page["next"]
        seen = [i for i in page["items"] if i["event_id"] == receipt["event_id"]]
        time.sleep(0.3 if not seen else 0)
    assert seen[0]["event"]["licensee"]["name"] == result.licensee.name
    claimed = httpx.post(f"{gateway}/v1/inbox/{receipt['event_id']}/claim", headers=officer)
    assert claimed.status_code == 202 and claimed.json()["topic"] == f"sg.{dept}.outbox"

    settings = bus_settings(stack)
    deadline = time.monotonic() + 90
    while True:
        claims = [
            r
            for r in read_to_end(settings, [inbox_topic(APPROVAL)])
            if r.headers.get(h.EVENT_ID) == claimed.json()["event_id"]
        ]
        if claims or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert claims, "the claim did not reach the bureau's inbox"


def test_tokens_that_are_not_a_partys_are_refused(stack: Any, gateway: str) -> None:
    service = {"Authorization": f"Bearer {token_of(stack, 'sgbus-router')}"}
    assert httpx.get(f"{gateway}/v1/inbox", headers=service).status_code == 401
    forged = token_of(stack, APPROVAL)[:-4] + "AAAA"
    got = httpx.get(f"{gateway}/v1/inbox", headers={"Authorization": f"Bearer {forged}"})
    assert got.status_code == 401 and got.headers["WWW-Authenticate"] == "Bearer"
    assert httpx.get(f"{gateway}/v1/inbox").status_code == 401
    doc = httpx.get(f"{gateway}/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
