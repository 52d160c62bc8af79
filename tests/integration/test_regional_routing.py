"""One bus for a province, on the real broker: each city's events go to its own departments,
and an event of a region the policy map does not cover is dead-lettered with the reason."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from sgbus.bus import headers as h
from sgbus.bus.catalogue import shipped_catalogue
from sgbus.bus.events import ApprovalResult, DeadLetter, RejectionNotice
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.regions import load_regions
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.topics import apply, desired_topics
from sgbus.cli.bus import all_parties
from sgbus.consumers.router.directory import RegionalDirectory
from sgbus.demo.synthetic import approval_result
from sgbus.producers.publisher import Publisher
from tests.integration.bus_helpers import bus_settings, running_router
from tests.integration.test_routing import wait_for

pytestmark = pytest.mark.integration
REGIONS = load_regions("shandong")
NEW_PARTIES = ("zichuan-approval", "zichuan-housing", "anqiu-approval", "anqiu-housing")
T0 = dt.datetime(2026, 11, 2, 7, tzinfo=dt.UTC)


def result(city: str, region: str, serial: int, code: str) -> ApprovalResult:
    cat = shipped_catalogue(city)
    return approval_result(
        cat.matter(code),
        serial,
        sender=f"{city}-approval",
        region=region,
        decided_at=T0,
        rng=random.Random(serial),
    )


def test_two_cities_route_by_their_own_catalogues_and_uncovered_regions_are_refused(
    stack: object,
) -> None:
    settings = bus_settings(stack)
    for party in NEW_PARTIES:
        stack.enroll(party)  # type: ignore[attr-defined]
    apply(make_admin(settings), desired_topics(all_parties(REGIONS.catalogue), settings))
    # One matter code, two cities: each goes to its own city's department.
    zichuan = result("zichuan", "370302", 16_001, "SD-SAMPLE-001")
    anqiu = result("anqiu", "370784", 16_002, "SD-SAMPLE-001")
    weihai = result("weihai", "371002", 16_003, "WH-A1-013")  # 环翠区 follows 威海
    stray = result("anqiu", "370500", 16_004, "SD-SAMPLE-001")  # 东营: not in the map
    for event in (zichuan, anqiu, stray):
        with Publisher(event.envelope.sender, settings) as pub:
            pub.publish(event)
    with Publisher("weihai-approval", settings) as pub:
        pub.publish(weihai)
    routed = {str(e.envelope.event_id) for e in (zichuan, anqiu, weihai)}
    key = stray.envelope.case_key.encode()
    with running_router(settings, directory=RegionalDirectory(REGIONS)):
        audit = wait_for(settings, [AUDIT_TOPIC], routed)
        dead = records_with_key(settings, DEAD_LETTER_TOPIC, key)
        told = records_with_key(settings, inbox_topic("anqiu-approval"), key)
    delivered = {r.headers[h.EVENT_ID]: r.headers[h.DELIVERED_TO] for r in audit}
    assert delivered == {
        str(zichuan.envelope.event_id): "zichuan-housing",
        str(anqiu.envelope.event_id): "anqiu-housing",
        str(weihai.envelope.event_id): "weihai-housing",
    }
    (record,) = dead
    assert record.headers[h.DLQ_REASON] == "OTHER"
    detail = "region '370500' is not covered by policy map 'shandong'"
    assert detail in record.headers[h.DLQ_DETAIL]
    serde = serde_for(settings)
    letter = serde.decode(record.value, record.topic)
    assert (
        isinstance(letter, DeadLetter) and letter.envelope.causation_id == stray.envelope.event_id
    )
    # nothing of the refused event reached the audit log or any department
    stray_id = str(stray.envelope.event_id)
    inboxes = [AUDIT_TOPIC, inbox_topic("anqiu-housing"), inbox_topic("zichuan-housing")]
    assert not [r for r in read_to_end(settings, inboxes) if r.headers.get(h.EVENT_ID) == stray_id]
    # the sender is told why, in its own inbox
    (notice,) = [serde.decode(r.value, r.topic) for r in told]
    assert isinstance(notice, RejectionNotice)


def records_with_key(settings: Settings, topic: str, key: bytes, timeout: float = 60) -> list:  # type: ignore[type-arg]
    """The records of ``topic`` with ``key``, once there is at least one."""
    deadline = time.monotonic() + timeout
    while True:
        got = [r for r in read_to_end(settings, [topic]) if r.key == key]
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.5)
