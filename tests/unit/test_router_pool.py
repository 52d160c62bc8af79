"""The unassigned pool ledger: only a result the router pooled, with its very bytes, can be
assigned, and only by an oversight office to known parties (no broker: the ledger is faked)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import ApprovalResult, CaseAssignment, DeadLetterReason, new_envelope
from sgbus.bus.serde import Serde, build_serde
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.pool import PoolBatch, PoolLedger, no_pool, value_hash
from sgbus.consumers.router.process import assignment_refusal, route_record
from sgbus.consumers.router.records import InRecord
from sgbus.demo.synthetic import approval_result

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
APPROVAL_OUTBOX = "sg.weihai-approval.outbox"
OVERSIGHT_OUTBOX = "sg.weihai-oversight.outbox"
T0 = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def result() -> ApprovalResult:
    """An approval result of a matter the catalogue maps to a department."""
    return approval_result(
        CAT.matter("WH-A1-001"), 7, sender="weihai-approval", region="371000",
        decided_at=T0, rng=random.Random(7),
    )  # fmt: skip


def orphan() -> ApprovalResult:
    """An approval result whose matter no department supervises: it goes to the pool."""
    found = result()
    return found.model_copy(update={"matter": found.matter.model_copy(update={"code": "X-404"})})


def rec(serde: Serde, event: object, topic: str, offset: int = 42) -> InRecord:
    return InRecord(topic, 0, offset, b"k", serde.encode(event, topic), {})  # type: ignore[arg-type]


def assignment(
    original: ApprovalResult, value: bytes, sender: str = "weihai-oversight", **kw: object
) -> CaseAssignment:
    fields: dict[str, object] = {
        "assigned_event_id": original.envelope.event_id,
        "assigned_event_type": "ApprovalResult",
        "assigned_to": ["weihai-health"],
        "assigned_by": "值班员",
        "original_value": value,
        **kw,
    }
    env = new_envelope(
        CaseAssignment,
        sender=sender,
        region="371000",
        case_key=original.envelope.case_key,
        recipients=["weihai-health"],
    )
    return CaseAssignment(envelope=env, **fields)  # type: ignore[arg-type]


def pooled(serde: Serde) -> tuple[ApprovalResult, bytes, PoolBatch]:
    """An orphan routed to the pool in a batch: the result, its bytes, the batch."""
    event, batch = orphan(), no_pool()
    routed = route_record(rec(serde, event, APPROVAL_OUTBOX), serde, DIRECTORY, pool=batch)
    ledger = routed.out[-1]
    assert ledger.topic == "sg.router.unassigned"
    assert ledger.key == str(event.envelope.event_id).encode()
    value = serde.encode(event, APPROVAL_OUTBOX)
    assert ledger.value == hashlib.sha256(value).hexdigest().encode()
    return event, value, batch


def test_a_pooled_result_is_recorded_with_the_hash_of_its_bytes(serde: Serde) -> None:
    event, value, batch = pooled(serde)
    assert batch.added == {str(event.envelope.event_id): value_hash(value)}


def test_a_mapped_result_is_not_recorded_in_the_pool(serde: Serde) -> None:
    batch = no_pool()
    routed = route_record(rec(serde, result(), APPROVAL_OUTBOX), serde, DIRECTORY, pool=batch)
    assert "sg.router.unassigned" not in [o.topic for o in routed.out] and not batch.added


def test_an_assignment_of_a_pooled_result_is_delivered(serde: Serde) -> None:
    event, value, batch = pooled(serde)
    routed = route_record(
        rec(serde, assignment(event, value), OVERSIGHT_OUTBOX), serde, DIRECTORY, pool=batch
    )
    assert routed.rejected is None and routed.delivered_to == ("weihai-health",)


def test_an_assignment_of_a_result_never_pooled_is_dead_lettered(serde: Serde) -> None:
    event = orphan()
    value = serde.encode(event, APPROVAL_OUTBOX)
    forged = rec(serde, assignment(event, value), OVERSIGHT_OUTBOX)
    routed = route_record(forged, serde, DIRECTORY, pool=no_pool())
    assert routed.rejected is DeadLetterReason.VALIDATION_FAILED
    assert not any(o.topic.endswith(".inbox") and "health" in o.topic for o in routed.out)
    assert "never routed to the unassigned pool" in routed.out[0].headers["sgbus-dlq-detail"]


def test_an_assignment_with_other_bytes_than_the_pooled_ones_is_dead_lettered(
    serde: Serde,
) -> None:
    event, _value, batch = pooled(serde)
    tampered = event.model_copy(update={"matter": event.matter.model_copy(update={"name": "改"})})
    other = serde.encode(tampered, APPROVAL_OUTBOX)
    routed = route_record(
        rec(serde, assignment(tampered, other), OVERSIGHT_OUTBOX), serde, DIRECTORY, pool=batch
    )
    assert routed.rejected is DeadLetterReason.VALIDATION_FAILED


def test_an_assignment_from_a_department_is_refused_before_the_pool_is_read(
    serde: Serde,
) -> None:
    event, value, _batch = pooled(serde)
    loads: list[int] = []
    batch = PoolBatch(lambda: loads.append(1) or {}, dict)  # type: ignore[func-returns-value]
    forged = assignment(event, value, sender="weihai-drc")
    refusal = assignment_refusal("weihai-drc", forged, DIRECTORY, batch)
    assert refusal is not None and refusal.reason is DeadLetterReason.SENDER_NOT_OWNER
    assert loads == []


def test_an_assignment_to_an_unknown_party_is_refused(serde: Serde) -> None:
    event, value, batch = pooled(serde)
    elsewhere = assignment(event, value, assigned_to=["weihai-health", "weihai-nowhere"])
    refusal = assignment_refusal("weihai-oversight", elsewhere, DIRECTORY, batch)
    assert refusal is not None and refusal.reason is DeadLetterReason.UNKNOWN_PARTY
    assert "weihai-nowhere" in refusal.detail and refusal.paths == ("assigned_to",)


def test_the_ledger_is_read_on_first_need_and_again_on_a_miss() -> None:
    topic: dict[str, str] = {"e1": value_hash(b"one")}
    reads: list[int] = []

    def read() -> dict[str, str]:
        reads.append(1)
        return dict(topic)

    ledger = PoolLedger(read)
    batch = ledger.batch()
    batch.pooled("e0", b"zero")
    assert batch.was_pooled("e0", b"zero") and reads == []  # this batch's own
    assert batch.was_pooled("e1", b"one") and len(reads) == 1
    topic["e2"] = value_hash(b"two")  # pooled by another router instance since
    assert batch.was_pooled("e2", b"two") and len(reads) == 2
    assert not batch.was_pooled("e3", b"three") and len(reads) == 2  # one refresh a batch


def test_committed_batches_are_remembered_and_uncommitted_ones_are_not() -> None:
    ledger = PoolLedger(dict)
    written, lost = ledger.batch(), ledger.batch()
    written.pooled("e1", b"one")
    lost.pooled("e2", b"two")
    ledger.committed(written)
    later = ledger.batch()
    assert later.was_pooled("e1", b"one")
    assert not later.was_pooled("e2", b"two")
    assert not later.was_pooled("e1", b"other bytes")
