"""Push = claim (推送即认领) on the real broker: the router records the department's claim as it
delivers, and the watchdog opens no claim obligation for it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Producer
from sqlalchemy import select

from sgbus.bus import headers as h
from sgbus.bus.claims import claim_event_id
from sgbus.bus.events import Claim, ClaimMode
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic
from sgbus.bus.policy import Policy, load_preset
from sgbus.bus.reading import Read, read_to_end
from sgbus.bus.regions.regime import single
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import early_answers, obligations
from sgbus.consumers.router.delivery_claims import RegionClaimModes
from sgbus.consumers.watchdog.wiring import RunOptions
from sgbus.producers.publisher import Publisher
from sgbus.stack.testing import StackEndpoints
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results, running_router
from tests.kafka_conf import client_conf
from tests.watchdog_bus import Topics, create_topics, run_until_idle, settings_for
from tests.watchdog_kit import at

pytestmark = pytest.mark.integration


def on_delivery_policy() -> Policy:
    """威海's rules with the push as the claim (the test's own policy, not a seed city's)."""
    data = load_preset("weihai").model_dump(mode="json", exclude_defaults=True)
    data["rules"] = [r for r in data["rules"] if r["flow"] != "claim"]
    data.update(claim_mode="on-delivery", claim_mode_source="测试规定 第一条 (推送即认领)")
    return Policy.model_validate(data)


def wait_for(
    settings: Settings, topics: list[str], ids: set[str], timeout: float = 150
) -> list[Read]:
    """Records of ``topics`` whose event id is in ``ids``, once every id has appeared."""
    deadline = time.monotonic() + timeout
    while True:
        got = [r for r in read_to_end(settings, topics) if r.headers.get(h.EVENT_ID) in ids]
        if {r.headers[h.EVENT_ID] for r in got} >= ids or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_push_is_the_claim_and_opens_no_claim_obligation(
    stack: StackEndpoints, tmp_path: Path
) -> None:
    settings = bus_settings(stack)
    serde = serde_for(settings)
    policy = on_delivery_policy()
    (push,) = results(1, seed=16, matters=["WH-A1-001"], base_serial=16_000)
    (department,) = [p.id for p in CATALOGUE.supervisors_of(push.matter.code, "371000")]
    claim_id = str(claim_event_id(push.envelope.event_id, department))
    push_id = str(push.envelope.event_id)
    with Publisher("weihai-approval", settings) as pub:
        pub.publish_many([push])
    modes = RegionClaimModes(single(policy, CATALOGUE))
    with running_router(settings, "pushclaim", modes=modes):
        audit = wait_for(settings, [AUDIT_TOPIC], {push_id, claim_id})
    assert [r.headers[h.EVENT_ID] for r in audit] == [push_id, claim_id]  # the push, then its claim
    claim = serde.decode(audit[1].value or b"", AUDIT_TOPIC)
    assert isinstance(claim, Claim)
    assert claim.mode is ClaimMode.ON_DELIVERY and claim.claimed_by == department
    assert claim.claimed_event_id == push.envelope.event_id and claim.officer is None
    assert audit[1].headers[h.DELIVERED_TO] == f"weihai-approval,{department}"
    inboxes = [inbox_topic("weihai-approval"), inbox_topic(department)]
    delivered = [
        r.topic for r in read_to_end(settings, inboxes) if r.headers.get(h.EVENT_ID) == claim_id
    ]
    assert sorted(delivered) == sorted(inboxes)

    # The watchdog reads those two audit records, under the same policy.
    topics = Topics.fresh("pushclaim")
    create_topics(stack.bootstrap, [topics.audit, topics.outbox])
    producer = Producer(client_conf(stack.bootstrap))
    for r in audit:
        producer.produce(topics.audit, key=r.key, value=r.value, headers=list(r.headers.items()))
    assert producer.flush(30) == 0
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        yaml.safe_dump(policy.model_dump(mode="json"), allow_unicode=True), encoding="utf-8"
    )
    db = f"sqlite:///{tmp_path / 'watchdog.db'}"
    opts = RunOptions(
        db_url=db, policy=str(policy_file), now=at("2026-12-31"), config=topics.config()
    )
    run_until_idle(settings_for(stack, tmp_path), opts)
    with make_engine(db).connect() as conn:
        flows = [(r.flow, r.debtor) for r in conn.execute(select(obligations))]
        waiting = list(conn.execute(select(early_answers)))
    assert flows == [("approval-push", "weihai-approval")]  # no claim obligation for anyone
    assert waiting == []  # and the claim is not kept as an answer to one that might open
