"""The console's read model: audit records projected into its tables, read back by the lists.

Built with the watchdog's own ingestor and policy (威海 preset, a small catalogue), on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sgbus.bus.calendar import default_calendar
from sgbus.bus.events import Event
from sgbus.bus.obligations.ingest import AuditRecord, Ingestor
from sgbus.bus.policy import load_policy
from sgbus.bus.store import make_engine, migrate
from sgbus.console.readmodel.project import project
from sgbus.console.readmodel.queries import ItemFilter, Tab, get_item, list_items, tab_counts
from sgbus.console.readmodel.status import Light, countdown, light
from sgbus.console.readmodel.write import Projected, write_batch
from sgbus.consumers.watchdog.ledger import sweep
from tests.department_events import auto_claim_of
from tests.watchdog_kit import Scene, at, audit, city_catalogue, eid, make_event

W = Scene("weihai")
MARKET, HEALTH = W.party("market"), W.party("health")
MON = at("2026-10-12", "10:00")  # a Monday; the weihai claim period runs into the week
GROUP, TOPIC = "sgbus-console", "sg.audit"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def ingestor() -> Ingestor:
    return Ingestor(load_policy("weihai"), default_calendar(), city_catalogue("weihai"))


class Feed:
    """Writes audit records as the projector does, one offset after another."""

    def __init__(self, engine: Engine, ingestor: Ingestor) -> None:
        self.engine, self.ingestor, self.offset = engine, ingestor, 0

    def __call__(self, *records: AuditRecord, offsets: Sequence[int] | None = None) -> None:
        batch = []
        for i, record in enumerate(records):
            got = self.ingestor.ingest(record)
            offset = offsets[i] if offsets else self.offset
            self.offset = max(self.offset, offset + 1)
            projection = project(record, got.openings, record.event.envelope.occurred_at)
            batch.append(Projected(0, offset, projection, tuple(got.openings), tuple(got.answers)))
        with self.engine.begin() as conn:
            write_batch(conn, GROUP, TOPIC, batch, {})


@pytest.fixture
def feed(engine: Engine, ingestor: Ingestor) -> Feed:
    return Feed(engine, ingestor)


def listed(engine: Engine, party: str | None, tab: Tab, now: datetime, **kw: object) -> list[str]:
    with engine.connect() as conn:
        page = list_items(conn, ItemFilter(party, tab, **kw), now)  # type: ignore[arg-type]
    return [r.event_id for r in page.rows]


def eid_of(event: Event) -> str:
    return str(event.envelope.event_id)


def test_an_item_per_recipient_with_the_watchdogs_deadline(
    engine: Engine, feed: Feed, ingestor: Ingestor
) -> None:
    r1 = W.approval_result(1, MON, to=("market", "health"))
    feed(audit(r1))
    now = MON + timedelta(hours=1)
    assert listed(engine, MARKET, Tab.PENDING, now) == [eid_of(r1)]
    assert listed(engine, HEALTH, Tab.PENDING, now) == [eid_of(r1)]
    with engine.connect() as conn:
        row = list_items(conn, ItemFilter(MARKET), now).rows[0]
    expected = ingestor.policy.deadline("claim", MON, ingestor.calendar).due_at
    assert row.due_at == expected
    assert row.flow == "claim" and row.claimable and not row.done


def test_a_claim_moves_the_item_of_that_party_only(engine: Engine, feed: Feed) -> None:
    r1 = W.approval_result(1, MON, to=("market", "health"))
    claim = W.claim(2, r1, "market", MON + timedelta(hours=2))
    feed(audit(r1), audit(claim))
    now = MON + timedelta(hours=3)
    assert listed(engine, MARKET, Tab.CLAIMED, now) == [eid_of(r1)]
    assert listed(engine, MARKET, Tab.PENDING, now) == []
    assert listed(engine, HEALTH, Tab.PENDING, now) == [eid_of(r1)]
    with engine.connect() as conn:
        item = get_item(conn, eid_of(r1), MARKET)
        assert item is not None and item.row.claim_mode == "MANUAL"
        assert [h.event_type for h in item.history] == ["ApprovalResult", "Claim"]


def test_a_claim_read_before_its_item_still_counts(engine: Engine, feed: Feed) -> None:
    r1 = W.approval_result(1, MON)
    claim = W.claim(2, r1, "market", MON + timedelta(hours=2))
    feed(audit(claim))
    feed(audit(r1))
    assert listed(engine, MARKET, Tab.CLAIMED, MON + timedelta(hours=3)) == [eid_of(r1)]


def test_overdue_then_the_sweep_and_the_auto_claim(
    engine: Engine, feed: Feed, ingestor: Ingestor
) -> None:
    r1 = W.approval_result(1, MON)
    feed(audit(r1))
    due = ingestor.policy.deadline("claim", MON, ingestor.calendar).due_at
    after = due + timedelta(minutes=1)
    assert listed(engine, MARKET, Tab.OVERDUE, after) == [eid_of(r1)]
    assert listed(engine, MARKET, Tab.PENDING, after) == []
    with engine.begin() as conn:
        sweep(conn, after)  # the watchdog's own sweep: the obligation is breached
    assert listed(engine, MARKET, Tab.OVERDUE, after) == [eid_of(r1)]
    feed(audit(auto_claim_of(r1, MARKET)))
    assert listed(engine, MARKET, Tab.CLAIMED, after) == [eid_of(r1)]


def test_a_batch_read_twice_adds_nothing(engine: Engine, feed: Feed) -> None:
    r1 = W.approval_result(1, MON)
    feed(audit(r1), offsets=[0])
    feed(audit(W.approval_result(9, MON)), offsets=[0])  # same offset again: already applied
    assert listed(engine, MARKET, Tab.ALL, MON) == [eid_of(r1)]


def test_filters(engine: Engine, feed: Feed) -> None:
    r1 = W.approval_result(1, MON)
    r2 = make_event(
        "ApprovalResult",
        event_id=eid(3),
        sender=W.party("approval"),
        recipients=[MARKET],
        at=MON + timedelta(minutes=5),
        region=W.region,
        case_key="371000:威审批〔2026〕777号",
        matter={"code": "WE-H-001", "name": "医疗机构执业许可"},
        decision_date=(MON + timedelta(days=3)).date(),
    )
    feed(audit(r1), audit(r2))
    now = MON + timedelta(hours=1)
    assert listed(engine, MARKET, Tab.ALL, now, matter="医疗") == [eid_of(r2)]
    assert listed(engine, MARKET, Tab.ALL, now, matter="WE-F-001") == [eid_of(r1)]
    assert listed(engine, MARKET, Tab.ALL, now, case="777") == [eid_of(r2)]
    assert listed(engine, MARKET, Tab.ALL, now, case="%") == []  # a wildcard is a character
    start = (MON + timedelta(days=1)).date()
    assert listed(engine, MARKET, Tab.ALL, now, decided_from=start) == [eid_of(r2)]
    assert listed(engine, MARKET, Tab.ALL, now, decided_to=MON.date()) == [eid_of(r1)]


def test_an_officer_of_another_party_gets_nothing(engine: Engine, feed: Feed) -> None:
    r1 = W.approval_result(1, MON)
    feed(audit(r1))
    with engine.connect() as conn:
        assert get_item(conn, eid_of(r1), HEALTH) is None
        assert get_item(conn, eid_of(r1), MARKET) is not None
        assert tab_counts(conn, HEALTH, MON)[Tab.PENDING] == 0
        assert tab_counts(conn, MARKET, MON)[Tab.PENDING] == 1


def test_paging_keeps_the_deadline_order(engine: Engine, feed: Feed) -> None:
    events = [W.approval_result(100 + n, MON + timedelta(days=n)) for n in range(5)]
    feed(*(audit(e) for e in reversed(events)))
    now = MON
    with engine.connect() as conn:
        first = list_items(conn, ItemFilter(MARKET, Tab.ALL, per_page=2), now)
        third = list_items(conn, ItemFilter(MARKET, Tab.ALL, per_page=2, page=3), now)
    assert first.total == 5 and first.pages == 3
    assert [r.event_id for r in first.rows] == [eid_of(e) for e in events[:2]]
    assert [r.event_id for r in third.rows] == [eid_of(events[4])]


def test_lights_and_countdown() -> None:
    cal = default_calendar()
    due = at("2026-10-16", "00:00")  # end of Thursday 15 October
    assert countdown(due, at("2026-10-12", "10:00"), cal) == 3
    assert light(due, None, at("2026-10-12", "10:00"), cal, done=False) is Light.GREEN
    assert light(due, None, at("2026-10-15", "10:00"), cal, done=False) is Light.AMBER
    assert light(due, at("2026-10-14"), at("2026-10-14", "11:00"), cal, done=False) is Light.AMBER
    assert light(due, None, due, cal, done=False) is Light.RED
    assert light(due, None, due, cal, done=True) is Light.NONE
