"""Routing on the real broker: exactly-once delivery, dead letters, the unassigned pool."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from confluent_kafka import Producer

from sgbus.bus import headers as h
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic, outbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.security import kafka_client_config
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.producers.publisher import Publisher
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results, running_router

pytestmark = pytest.mark.integration
MATTERS = ["WH-A1-001", "WH-A2-004", "WH-A3-001", "WH-A4-001"]


def wait_for(settings: Settings, topics: list[str], ids: set[str], timeout: float = 150) -> list:  # type: ignore[type-arg]
    """Records of ``topics`` whose event id is in ``ids``, once every id has appeared."""
    deadline = time.monotonic() + timeout
    while True:
        got = [r for r in read_to_end(settings, topics) if r.headers.get(h.EVENT_ID) in ids]
        if {r.headers[h.EVENT_ID] for r in got} >= ids or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_each_result_reaches_exactly_its_supervisors_and_the_audit_log(stack: object) -> None:
    settings = bus_settings(stack)
    events = results(60, seed=1, matters=MATTERS, base_serial=1000)
    with Publisher("weihai-approval", settings) as pub:
        pub.publish_many(events)
    ids = {str(e.envelope.event_id) for e in events}
    inboxes = [inbox_topic(p) for p in CATALOGUE.parties_by_id]
    with running_router(settings):
        audit = wait_for(settings, [AUDIT_TOPIC], ids)
    assert Counter(r.headers[h.EVENT_ID] for r in audit) == Counter(ids)
    delivered = [r for r in read_to_end(settings, inboxes) if r.headers.get(h.EVENT_ID) in ids]
    got = Counter((r.topic, r.headers[h.EVENT_ID]) for r in delivered)
    want = Counter(
        (inbox_topic(p.id), str(e.envelope.event_id))
        for e in events
        for p in CATALOGUE.supervisors_of(e.matter.code, "371000")
    )
    assert got == want  # exactly once in each intended inbox, nowhere else
    # Every copy keeps the time the broker stamped on the outbox record, not the copy's own.
    taken = {
        r.headers[h.EVENT_ID]: r.timestamp_ms
        for r in read_to_end(settings, [outbox_topic("weihai-approval")])
        if r.headers.get(h.EVENT_ID) in ids
    }
    assert all(taken.values())
    assert {r.headers[h.EVENT_ID]: r.timestamp_ms for r in audit} == taken
    assert all(r.timestamp_ms == taken[r.headers[h.EVENT_ID]] for r in delivered)


def test_bad_records_are_dead_lettered_and_the_router_goes_on(stack: object) -> None:
    settings = bus_settings(stack)
    serde = serde_for(settings)
    good, forged, ghost = results(3, seed=2, matters=MATTERS, base_serial=2000)
    ghost = ghost.model_copy(
        update={"envelope": ghost.envelope.model_copy(update={"recipients": ["ghost-dept"]})}
    )
    raw = Producer(kafka_client_config(settings))
    raw.produce(
        outbox_topic("weihai-drc"),
        key=b"x",
        value=serde.encode(forged, "t"),
        headers=[(h.EVENT_ID, str(forged.envelope.event_id))],
    )
    raw.produce(outbox_topic("weihai-approval"), key=b"y", value=b"\x00\x00\x00\x00\x01junk")
    raw.produce(
        outbox_topic("weihai-approval"),
        key=b"z",
        value=serde.encode(ghost, "t"),
        headers=[(h.EVENT_ID, str(ghost.envelope.event_id))],
    )
    raw.flush(10)
    with Publisher("weihai-approval", settings, serde) as pub:
        pub.publish(good)
    with running_router(settings):
        wait_for(settings, [AUDIT_TOPIC], {str(good.envelope.event_id)})
        deadline = time.monotonic() + 30
        while True:
            dead = {r.key: r.headers for r in read_to_end(settings, [DEAD_LETTER_TOPIC])}
            if {b"x", b"y", b"z"} <= set(dead) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert dead[b"x"][h.DLQ_REASON] == "SENDER_NOT_OWNER"
    assert dead[b"y"][h.DLQ_REASON] == "UNDECODABLE"
    assert dead[b"z"][h.DLQ_REASON] == "UNKNOWN_PARTY" and "ghost-dept" in dead[b"z"][h.DLQ_DETAIL]
    assert dead[b"x"][h.SOURCE_TOPIC] == "sg.weihai-drc.outbox" and h.SOURCE_OFFSET in dead[b"x"]


def test_unmapped_matter_waits_in_the_pool_until_assigned(
    stack: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sgbus.bus.settings import get_settings
    from sgbus.cli import _register, app

    settings = bus_settings(stack)
    (orphan,) = results(1, seed=3, matters=MATTERS, base_serial=3000)
    orphan = orphan.model_copy(
        update={"matter": orphan.matter.model_copy(update={"code": "WH-NOT-LISTED"})}
    )
    oid = str(orphan.envelope.event_id)
    with Publisher("weihai-approval", settings) as pub:
        pub.publish(orphan)
    with running_router(settings):
        pool = wait_for(settings, [inbox_topic("weihai-oversight")], {oid})
        assert len(pool) == 1
        monkeypatch.setenv("SGBUS_BOOTSTRAP", settings.bootstrap_servers())
        monkeypatch.setenv("SGBUS_SCHEMA_REGISTRY", settings.registry_url())
        get_settings.cache_clear()
        _register()
        out = CliRunner().invoke(
            app, ["assign", orphan.envelope.case_key, "--to", "weihai-health", "--reason", "测试"]
        )
        get_settings.cache_clear()
        assert out.exit_code == 0, out.output
        (got,) = wait_for(settings, [inbox_topic("weihai-health")], {oid})
    assert got.value == pool[0].value  # the original bytes, as the approval bureau published them
    audit = [r for r in read_to_end(settings, [AUDIT_TOPIC]) if r.headers.get(h.EVENT_ID) == oid]
    assert [r.headers[h.DELIVERED_TO] for r in audit] == ["weihai-oversight", "weihai-health"]
    missing = CliRunner().invoke(app, ["assign", "371000:无此案", "--to", "weihai-health"])
    assert missing.exit_code == 1 and "no unassigned approval result" in missing.output


def test_two_router_instances_share_the_work_exactly_once(stack: object) -> None:
    settings = bus_settings(stack)
    events = results(300, seed=4, matters=MATTERS, base_serial=4000)
    ids = {str(e.envelope.event_id) for e in events}
    with running_router(settings, "pair-a") as a, running_router(settings, "pair-b") as b:
        time.sleep(3)  # both join the group before the stream starts
        with Publisher("weihai-approval", settings) as pub:
            for i in range(0, len(events), 50):
                pub.publish_many(events[i : i + 50])
        audit = wait_for(settings, [AUDIT_TOPIC], ids)
    assert Counter(r.headers[h.EVENT_ID] for r in audit) == Counter(ids)
    assert a.routed > 0 and b.routed > 0, (a.routed, b.routed)  # both instances did work
