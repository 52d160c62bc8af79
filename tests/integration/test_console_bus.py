"""The console on the real bus: the projector reads the audit log, and officers' actions go
out as the console, for their own party, and come back through the router."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from sgbus.bus.headers import EVENT_ID
from sgbus.bus.parties import inbox_topic
from sgbus.bus.settings import Settings
from sgbus.console import actions
from sgbus.console.readmodel.queries import (
    ItemDetail,
    ItemFilter,
    Tab,
    get_item,
    list_items,
    pooled_value,
)
from sgbus.console.runtime import Console, build_console, decode_payload
from sgbus.producers.publisher import Publisher
from sgbus.stack.testing import StackEndpoints
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results, running_router
from tests.kafka_conf import client_conf

pytestmark = pytest.mark.integration
MATTER = "WH-A1-001"
OVERSIGHT = "weihai-oversight"


@pytest.fixture
def console(stack: object, tmp_path: Path) -> Iterator[Console]:
    settings = bus_settings(stack)
    stop = threading.Event()
    built = build_console(settings, db_url=f"sqlite:///{tmp_path / 'console.db'}", stop=stop)
    assert built.projector is not None
    assert built.projector.start()
    thread = threading.Thread(target=built.projector.run, daemon=True)
    thread.start()
    with running_router(settings):
        yield built
    stop.set()
    thread.join(30)
    built.projector.close()
    built.publisher.close()


def eventually(check: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.3)


def test_items_appear_and_a_claim_comes_back(console: Console, stack: object) -> None:
    settings = Settings()
    (result,) = results(1, seed=71, matters=[MATTER], base_serial=71_000)
    rid = str(result.envelope.event_id)
    (dept,) = [p.id for p in CATALOGUE.supervisors_of(MATTER, "371000")]
    with Publisher("weihai-approval", settings) as pub:
        pub.publish(result)

    def listed(tab: Tab) -> bool:
        with console.engine.connect() as conn:
            page = list_items(conn, ItemFilter(dept, tab, per_page=500), console.now())
        return rid in {r.event_id for r in page.rows}

    eventually(lambda: listed(Tab.PENDING))
    with console.engine.connect() as conn:
        detail = get_item(conn, rid, dept)
    assert detail is not None and detail.row.due_at is not None  # the policy's deadline
    officer = actions.Officer("li.ming", "李明", dept)
    event = decode_payload(detail.row.event_type, detail.payload)
    console.publisher.publish(dept, actions.claim(event, officer, datetime.now(UTC)))
    eventually(lambda: listed(Tab.CLAIMED))
    with console.engine.connect() as conn:
        claimed = get_item(conn, rid, dept)
    assert claimed is not None
    assert claimed.row.claim_officer == "李明" and claimed.row.claim_mode == "MANUAL"
    assert [h.event_type for h in claimed.history][-1] == "Claim"


def test_the_centre_assigns_a_pooled_result(console: Console) -> None:
    settings = Settings()
    (orphan,) = results(1, seed=72, matters=[MATTER], base_serial=72_000)
    orphan = orphan.model_copy(
        update={"matter": orphan.matter.model_copy(update={"code": "WH-NOT-LISTED"})}
    )
    oid = str(orphan.envelope.event_id)
    with Publisher("weihai-approval", settings) as pub:
        pub.publish(orphan)

    def raw() -> bytes | None:
        with console.engine.connect() as conn:
            return pooled_value(conn, oid, OVERSIGHT)

    eventually(lambda: raw() is not None)
    with console.engine.connect() as conn:
        detail = get_item(conn, oid, OVERSIGHT)
    assert detail is not None and detail.row.pooled
    value = raw()
    assert value is not None
    officer = actions.Officer("zhao.lei", "赵磊", OVERSIGHT)
    event = decode_payload(detail.row.event_type, detail.payload)
    assignment = actions.assignment(
        event, value, officer, ["weihai-health"], "目录未列明", datetime.now(UTC)
    )
    console.publisher.publish(OVERSIGHT, assignment)

    def assigned() -> bool:
        with console.engine.connect() as conn:
            mine = get_item(conn, oid, "weihai-health")
            pool = get_item(conn, oid, OVERSIGHT)
        return mine is not None and pool is not None and pool.row.done

    eventually(assigned)


def inbox_has(bootstrap: str, party: str, event_id: str, timeout_s: float = 90) -> bool:
    """Whether an event with ``event_id`` reaches ``party``'s inbox (read from the start)."""
    consumer = Consumer(
        client_conf(
            bootstrap,
            **{
                "group.id": f"test-inbox-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            },
        )
    )
    consumer.subscribe([inbox_topic(party)])
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for m in consumer.consume(500, 0.5):
                headers = dict(m.headers() or [])
                if m.error() is None and headers.get(EVENT_ID) == event_id.encode():
                    return True
        return False
    finally:
        consumer.close()


def test_a_transfer_from_the_console_reaches_the_receivers_inbox(
    console: Console, stack: StackEndpoints
) -> None:
    settings = Settings()
    (result,) = results(1, seed=73, matters=[MATTER], base_serial=73_000)
    rid = str(result.envelope.event_id)
    (dept,) = [p.id for p in CATALOGUE.supervisors_of(MATTER, "371000")]
    receiver = next(d for d in console.departments() if d != dept)
    with Publisher("weihai-approval", settings) as pub:
        pub.publish(result)

    def item(party: str, event_id: str) -> ItemDetail | None:
        with console.engine.connect() as conn:
            return get_item(conn, event_id, party)

    eventually(lambda: item(dept, rid) is not None)
    detail = item(dept, rid)
    assert detail is not None and detail.row.can_pass_on
    officer = actions.Officer("li.ming", "李明", dept)
    event = decode_payload(detail.row.event_type, detail.payload)
    transfer = actions.transfer(event, officer, receiver, "属其他部门监管职责", datetime.now(UTC))
    console.publisher.publish(dept, transfer)
    tid = str(transfer.envelope.event_id)
    assert inbox_has(stack.bootstrap, receiver, tid)

    def handed_over() -> bool:
        mine, theirs = item(dept, rid), item(receiver, tid)
        return (
            mine is not None
            and mine.row.handed_to == receiver
            and mine.row.done
            and theirs is not None
            and theirs.row.can_claim
        )

    eventually(handed_over)
    theirs = item(receiver, tid)
    assert theirs is not None and theirs.row.due_at is not None  # the receiver's own period
