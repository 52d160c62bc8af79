"""Routing under a policy map: an event's region picks the catalogue; uncovered regions are
dead-lettered with the reason (no broker: :func:`route_record` on encoded records)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from sgbus.bus import headers as h
from sgbus.bus.catalogue import shipped_catalogue
from sgbus.bus.events import ApprovalResult, DeadLetter, DeadLetterReason
from sgbus.bus.regions import load_regions
from sgbus.bus.serde import Serde, build_serde
from sgbus.consumers.router.directory import RegionalDirectory
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord
from sgbus.demo.synthetic import approval_result

DIRECTORY = RegionalDirectory(load_regions("shandong"))
T0 = dt.datetime(2026, 11, 2, 7, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def result(city: str, region: str, code: str = "SD-SAMPLE-001", serial: int = 1) -> ApprovalResult:
    matter = shipped_catalogue(city).matter("SD-SAMPLE-001")
    event = approval_result(
        matter,
        serial,
        sender=f"{city}-approval",
        region=region,
        decided_at=T0,
        rng=random.Random(serial),
    )
    return event.model_copy(update={"matter": event.matter.model_copy(update={"code": code})})


def route(serde: Serde, event: ApprovalResult) -> tuple[list[str], object]:
    topic = f"sg.{event.envelope.sender}.outbox"
    routed = route_record(
        InRecord(topic, 0, 9, b"k", serde.encode(event, topic), {}), serde, DIRECTORY
    )
    return [o.topic for o in routed.out], routed


def test_one_matter_code_goes_to_each_citys_own_department(serde: Serde) -> None:
    zichuan, _ = route(serde, result("zichuan", "370302"))
    anqiu, _ = route(serde, result("anqiu", "370784"))
    assert zichuan == ["sg.zichuan-housing.inbox", "sg.audit"]
    assert anqiu == ["sg.anqiu-housing.inbox", "sg.audit"]


def test_an_unmapped_matter_waits_in_its_own_citys_pool(serde: Serde) -> None:
    topics, routed = route(serde, result("anqiu", "370784", code="SD-NOT-LISTED"))
    assert topics == ["sg.anqiu-oversight.inbox", "sg.audit", "sg.router.unassigned"]
    assert routed.unassigned  # type: ignore[attr-defined]


def test_an_event_of_an_uncovered_region_is_dead_lettered_with_the_reason(serde: Serde) -> None:
    topics, routed = route(serde, result("anqiu", "370500"))  # 东营: not in the map
    assert routed.rejected is DeadLetterReason.OTHER  # type: ignore[attr-defined]
    assert topics == ["sg.deadletter", "sg.anqiu-approval.inbox"]  # the sender is told
    out = routed.out[0]  # type: ignore[attr-defined]
    letter = serde.decode(out.value, out.topic)
    assert isinstance(letter, DeadLetter)
    assert "region '370500' is not covered by policy map 'shandong'" in letter.reason
    assert "371000 威海市" in out.headers[h.DLQ_DETAIL]


def test_every_citys_parties_are_known_and_oversight_offices_may_assign() -> None:
    assert {"weihai-drc", "zichuan-housing", "anqiu-market", "watchdog"} <= set(
        DIRECTORY.known_parties()
    )
    assert all(DIRECTORY.is_oversight(f"{c}-oversight") for c in ("weihai", "zichuan", "anqiu"))
    assert not DIRECTORY.is_oversight("anqiu-housing")
    assert DIRECTORY.unassigned_pool("370302") == "zichuan-oversight"
    assert DIRECTORY.region_problem("371082") is None  # 荣成, inside 威海
