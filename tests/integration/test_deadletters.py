"""Dead letters on the real broker: the sender is told, operators list them, replays land once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from typing import Any

import pytest
from confluent_kafka import KafkaException
from typer.testing import CliRunner

from sgbus.bus import headers as h
from sgbus.bus.events import RejectionNotice
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.parties import AUDIT_TOPIC, REPLAY_LEDGER_TOPIC, inbox_topic
from sgbus.bus.reading import Read, read_to_end
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings, get_settings
from sgbus.bus.topics import apply, desired_topics
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.producers.publisher import Publisher
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results, running_router

pytestmark = pytest.mark.integration
MATTERS = ["WH-A1-001"]
SENDER = "weihai-approval"
NEW_PARTY = "weihai-newdept"  # not in the catalogue until "configured" below


class WithNewParty(CatalogueDirectory):
    """The catalogue once the operator has added the party the dead letter named."""

    def known_parties(self) -> Collection[str]:
        return {*super().known_parties(), NEW_PARTY}


def until(what: str, probe: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = probe()
        except KafkaException:  # a partition leader still being elected on a fresh stack
            got = None
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def with_id(settings: Settings, topic: str, event_id: str) -> list[Read]:
    return [r for r in read_to_end(settings, [topic]) if r.headers.get(h.EVENT_ID) == event_id]


def notices(settings: Settings) -> dict[str, tuple[RejectionNotice, bytes]]:
    """Rejection notices in the sender's inbox, by refused event id, with their bytes."""
    serde = serde_for(settings)
    out = {}
    for r in read_to_end(settings, [inbox_topic(SENDER)]):
        if r.headers.get(h.EVENT_TYPE) == "RejectionNotice" and r.value is not None:
            notice = serde.decode(r.value, r.topic)
            assert isinstance(notice, RejectionNotice)
            out[str(notice.refused_event_id)] = (notice, r.value)
    return out


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    from sgbus.cli import _register, app

    monkeypatch.setenv("SGBUS_BOOTSTRAP", settings.bootstrap_servers())
    monkeypatch.setenv("SGBUS_SCHEMA_REGISTRY", settings.registry_url() or "")
    get_settings.cache_clear()
    _register()
    try:
        out = CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    return out.output


def listed(settings: Settings, monkeypatch: pytest.MonkeyPatch, reason: str) -> list[Any]:
    text = cli(settings, monkeypatch, "deadletter", "list", "--reason", reason, "--json")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_refused_records_are_noticed_listed_and_replayed_once(
    stack: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = bus_settings(stack)
    invalid, unrouted = results(2, seed=11, matters=MATTERS, base_serial=11_000)
    licensee = invalid.licensee.model_copy(update={"uscc": "91371000ABCDEFGHIJ"})
    invalid = invalid.model_copy(update={"licensee": licensee})
    env = unrouted.envelope.model_copy(update={"recipients": [NEW_PARTY]})
    unrouted = unrouted.model_copy(update={"envelope": env})
    bad_id, unrouted_id = str(invalid.envelope.event_id), str(unrouted.envelope.event_id)
    with Publisher(SENDER, settings, validate=False) as pub:
        pub.publish_many([invalid, unrouted])

    # 1. Both are dead-lettered, and the sender is told, without payload or personal data.
    with running_router(settings):
        told = until("two rejection notices", lambda: _both(notices(settings), bad_id, unrouted_id))
    notice, value = told[bad_id]
    assert notice.reason_code.value == "VALIDATION_FAILED"
    assert notice.field_paths == ["licensee.uscc"] and notice.refused_event_type == "ApprovalResult"
    assert notice.envelope.recipients == [SENDER]
    for secret in (invalid.licensee.name, invalid.licensee.phone, invalid.licensee.address):
        assert secret is None or secret.encode() not in value
    assert told[unrouted_id][0].reason_code.value == "UNKNOWN_PARTY"

    # 2. Operators list them: id, reason, where read, event type; no payload.
    (row,) = [
        r
        for r in listed(settings, monkeypatch, "validation-failed")
        if r["dead_letter_id"] == str(notice.dead_letter_id)
    ]
    assert (
        row["event_type"] == "ApprovalResult"
        and row["original_topic"] == "sg.weihai-approval.outbox"
    )
    assert invalid.licensee.name not in json.dumps(row, ensure_ascii=False)
    table = cli(
        settings,
        monkeypatch,
        "deadletter",
        "list",
        "--reason",
        "validation-failed",
        "--since",
        "24h",
    )
    assert str(notice.dead_letter_id) in table and invalid.licensee.name not in table

    # 3. The cause is lifted (the party is configured); a replay delivers, a second does not.
    apply(make_admin(settings), desired_topics([NEW_PARTY], settings))
    stack.enroll(NEW_PARTY)  # type: ignore[attr-defined]  # its identity and ACLs, as `stack up`
    dead_id = str(told[unrouted_id][0].dead_letter_id)
    directory = WithNewParty(CATALOGUE)
    with running_router(settings, "replay-a", directory):
        cli(settings, monkeypatch, "deadletter", "replay", "--id", dead_id)
        (got,) = until(
            "the replay delivered", lambda: with_id(settings, inbox_topic(NEW_PARTY), unrouted_id)
        )
    assert got.headers[h.REPLAY_OF] == dead_id
    with running_router(settings, "replay-b", directory) as stats:  # a fresh router: no memory
        cli(settings, monkeypatch, "deadletter", "replay", "--id", dead_id)
        until("the second replay dropped", lambda: stats.replays_dropped == 1)
    assert len(with_id(settings, inbox_topic(NEW_PARTY), unrouted_id)) == 1
    assert len(with_id(settings, AUDIT_TOPIC, unrouted_id)) == 1
    ledger = [
        r for r in read_to_end(settings, [REPLAY_LEDGER_TOPIC]) if r.key == unrouted_id.encode()
    ]
    assert [r.value for r in ledger] == [dead_id.encode()]
    (row,) = [
        r for r in listed(settings, monkeypatch, "unknown-party") if r["dead_letter_id"] == dead_id
    ]
    assert row["replayed"] is True


def _both(found: dict[str, Any], *ids: str) -> dict[str, Any] | None:
    return found if all(i in found for i in ids) else None
