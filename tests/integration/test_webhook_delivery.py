"""The webhook sink against a receiver that fails and answers slowly on purpose: everything is
delivered once, in order per case, and an item the receiver keeps failing is dead-lettered
after the configured attempts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sgbus.connectors.testing.bus import ConformanceBus
from sgbus.connectors.testing.process import ConnectorProcess, wait_for
from sgbus.connectors.testing.receiver import WebhookReceiver
from sgbus.connectors.webhook.signing import new_secret, secret_key, verify
from sgbus.stack.testing import StackEndpoints

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(new_secret())
    try:
        yield r
    finally:
        r.close()


def run_webhook(
    bus: ConformanceBus, receiver: WebhookReceiver, tmp_path: Path, **extra: object
) -> ConnectorProcess:
    config = {
        "party": bus.party,
        "url": receiver.url,
        "secret": receiver.secret,
        "timeout_s": 1.0,
        "retry_backoff_s": 0.1,
        "max_backoff_s": 1.0,
        "state_db": f"sqlite:///{tmp_path / 'state.db'}",
        **extra,
    }
    process = ConnectorProcess("webhook", config, tmp_path, bus.environment())
    process.start()
    return process


def test_slow_and_failing_answers_lose_nothing_and_keep_each_case_in_order(
    stack: StackEndpoints, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    bus = ConformanceBus.fresh(stack, "hook-order")
    first, second = [], []
    for _ in range(6):  # two cases, interleaved
        first += bus.feed(2, case_key="371000:case-one")
        second += bus.feed(2, case_key="371000:case-two")
    receiver.trouble = [503, 2.0, 500, 429, 2.5, 502, 408]  # slower than the 1 s timeout
    process = run_webhook(bus, receiver, tmp_path)
    try:
        wait_for(lambda: receiver.stored_ids() == set(first + second), 120, "all 24 items")
    finally:
        process.stop()
    assert [i for i in receiver.order if i in first] == first
    assert [i for i in receiver.order if i in second] == second
    assert sum(receiver.received.values()) > len(first + second)  # retried, stored once
    assert receiver.bad_signatures == 0


def test_an_item_failing_every_time_is_dead_lettered_after_max_attempts(
    stack: StackEndpoints, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    bus = ConformanceBus.fresh(stack, "hook-attempts")
    poisoned, *others = bus.feed(4, case_key="371000:one-case")  # one partition: in order
    receiver.trouble = [500, 500, 500]  # the first item: three error answers
    process = run_webhook(bus, receiver, tmp_path, max_attempts=3)
    try:
        wait_for(lambda: receiver.stored_ids() == set(others), 120, "the three other items")
        wait_for(lambda: len(bus.dead_letters("webhook")) == 1, 60, "the dead letter")
    finally:
        process.stop()
    (dead,) = bus.dead_letters("webhook")
    assert str(dead.envelope.causation_id) == poisoned
    assert dead.reason == "webhook answered HTTP 500 3 times"
    assert receiver.received[poisoned] == 3


def test_during_a_rotation_both_secrets_sign(
    stack: StackEndpoints, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    bus = ConformanceBus.fresh(stack, "hook-rotate")
    old = receiver.secret
    new = new_secret()
    (event_id,) = bus.feed(1)
    process = run_webhook(bus, receiver, tmp_path, secret=new, previous_secrets=[old])
    try:  # the receiver still knows only the old secret, and accepts
        wait_for(lambda: event_id in receiver.stored_ids(), 60, "the item")
    finally:
        process.stop()
    assert receiver.bad_signatures == 0
    assert verify(secret_key(old), receiver.last_headers, receiver.last_body) == event_id
    assert verify(secret_key(new), receiver.last_headers, receiver.last_body) == event_id
