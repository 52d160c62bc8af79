"""Replayed dead letters are delivered once: the pure decision, without a broker."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import ApprovalResult
from sgbus.bus.serde import Serde, build_serde
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.process import Routed, route_record
from sgbus.consumers.router.records import InRecord
from sgbus.consumers.router.replays import ReplayBatch, ReplayLedger, replay_of
from sgbus.demo.synthetic import approval_result

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
OUTBOX = "sg.weihai-approval.outbox"
DEAD_ID = "0b0e3c1d-8d4e-5f7a-9b2c-3d4e5f6a7b8c"


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


@pytest.fixture(scope="module")
def event() -> ApprovalResult:
    return approval_result(
        CAT.matter("WH-A1-001"),
        9,
        sender="weihai-approval",
        region="371000",
        decided_at=dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC),
        rng=random.Random(9),
    )


class Loads:
    """A ledger reader that counts how often it is asked."""

    def __init__(self, ids: set[str]) -> None:
        self.ids = ids
        self.calls = 0

    def __call__(self) -> set[str]:
        self.calls += 1
        return set(self.ids)


def replayed(serde: Serde, event: ApprovalResult, offset: int = 7, **headers: str) -> InRecord:
    value = serde.encode(event, OUTBOX)
    return InRecord(OUTBOX, 0, offset, b"k", value, {h.REPLAY_OF: DEAD_ID, **headers})


def route(serde: Serde, rec: InRecord, batch: ReplayBatch) -> Routed:
    return route_record(rec, serde, DIRECTORY, batch)


def test_replay_header_is_read_and_blank_means_none() -> None:
    assert replay_of({h.REPLAY_OF: f" {DEAD_ID} "}) == DEAD_ID
    assert replay_of({h.REPLAY_OF: " "}) is None
    assert replay_of({}) is None


def test_first_replay_is_delivered_and_recorded_in_the_ledger(
    serde: Serde, event: ApprovalResult
) -> None:
    loads = Loads(set())
    routed = route(serde, replayed(serde, event), ReplayBatch(loads))
    assert routed.delivered_to == ("weihai-drc",) and not routed.replay_dropped
    *copies, ledger = routed.out
    assert [o.topic for o in copies] == ["sg.weihai-drc.inbox", "sg.audit"]
    assert copies[0].headers[h.REPLAY_OF] == DEAD_ID  # recipients see it is a replay
    assert ledger.topic == "sg.router.replayed"
    assert ledger.key == str(event.envelope.event_id).encode()
    assert ledger.value == DEAD_ID.encode()
    assert loads.calls == 1


def test_replay_of_a_delivered_event_is_dropped_not_dead_lettered(
    serde: Serde, event: ApprovalResult
) -> None:
    batch = ReplayBatch(Loads({str(event.envelope.event_id)}))
    routed = route(serde, replayed(serde, event), batch)
    assert routed.out == [] and routed.delivered_to == ()
    assert routed.replay_dropped and routed.rejected is None
    assert batch.dropped == [(str(event.envelope.event_id), DEAD_ID)]


def test_two_replays_in_one_batch_deliver_once_and_read_the_ledger_once(
    serde: Serde, event: ApprovalResult
) -> None:
    loads = Loads(set())
    batch = ReplayBatch(loads)
    first = route(serde, replayed(serde, event, 7), batch)
    second = route(serde, replayed(serde, event, 8), batch)
    assert first.delivered_to and not first.replay_dropped
    assert second.replay_dropped and second.out == []
    assert loads.calls == 1


def test_ordinary_records_never_read_the_ledger(serde: Serde, event: ApprovalResult) -> None:
    loads = Loads({str(event.envelope.event_id)})
    rec = InRecord(OUTBOX, 0, 7, b"k", serde.encode(event, OUTBOX), {})
    routed = route(serde, rec, ReplayBatch(loads))
    assert routed.delivered_to == ("weihai-drc",)
    assert "sg.router.replayed" not in [o.topic for o in routed.out]
    assert loads.calls == 0


def test_a_replay_still_refused_is_dead_lettered_again(serde: Serde, event: ApprovalResult) -> None:
    loads = Loads(set())
    forged = replace(replayed(serde, event), topic="sg.weihai-drc.outbox")
    routed = route(serde, forged, ReplayBatch(loads))
    assert routed.rejected is not None
    assert [o.topic for o in routed.out] == ["sg.deadletter", "sg.weihai-drc.inbox"]
    assert loads.calls == 0


def test_ledger_remembers_committed_batches_only() -> None:
    on_topic: set[str] = set()
    ledger = ReplayLedger(lambda: on_topic)
    aborted = ledger.batch()
    assert not aborted.delivered_before("e1")
    aborted.deliver("e1", DEAD_ID)
    # the aborted batch is read again: its delivery never happened
    retry = ledger.batch()
    assert not retry.delivered_before("e1")
    retry.deliver("e1", DEAD_ID)
    ledger.committed(retry)
    # committed, but its ledger record not yet readable: still known
    assert ledger.batch().delivered_before("e1")
    on_topic.add("e2")  # written by another router instance
    assert ledger.batch().delivered_before("e2")
