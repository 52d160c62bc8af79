"""The officers' actions end to end on the real broker, each driven through the CLI.

One router, one watchdog and the department services of 商务局 (weihai-commerce), 卫生健康委
(weihai-health) and the oversight office run for the whole module. Each action is an ``sgbus``
command run as the acting party (its own credentials); the test then reads the receiver's
inbox, ``sg.audit`` and the watchdog's store.

Time: the commands stamp their events with the wall clock, so the test fixes the wall clock of
the commands (``datetime.now`` in the command modules) at the instant of each step, and moves
the watchdog's clock by hand. Each test has its own weeks of October-December 2026 under the
威海 policy (claim within 3 working days, the day of the event not counted), in ascending
order, because the one watchdog's clock only goes forward.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from confluent_kafka import KafkaException
from sqlalchemy import select
from typer.testing import CliRunner, Result

from sgbus.bus import headers as h
from sgbus.bus.actions import action_id
from sgbus.bus.claims import claim_event_id
from sgbus.bus.events import (
    ApprovalResult,
    ConsultationPosition,
    ConsultationReply,
    Escalation,
    Event,
)
from sgbus.bus.obligations.model import Obligation, OutcomeKind, State, outcome_id
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic
from sgbus.bus.reading import Read, read_to_end
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings, get_settings
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import save_offsets
from sgbus.bus.store.tables import obligations
from sgbus.consumers.department.service import DepartmentConfig, DepartmentService, group_id
from sgbus.consumers.department.store import find_items
from sgbus.consumers.watchdog.ledger import from_row
from sgbus.consumers.watchdog.service import Watchdog, WatchdogConfig
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.demo.synthetic import approval_result
from sgbus.producers.publisher import Publisher
from tests.integration.bus_helpers import CATALOGUE, bus_settings, running_router
from tests.watchdog_bus import end_offsets
from tests.watchdog_kit import at, make_event

pytestmark = pytest.mark.integration

APPROVAL, OVERSIGHT = "weihai-approval", "weihai-oversight"
COMMERCE, HEALTH = "weihai-commerce", "weihai-health"
MATTER = "WH-A2-012"  # supervised by 商务局 alone in the 威海 catalogue
PRESET = Path(__file__).resolve().parents[2] / "sgbus/bus/policy/presets/weihai.yaml"
# The command modules that read the wall clock for the events they build.
CLOCKED = ("sgbus.cli.actions", "sgbus.consumers.department.manual")


class HandClock:
    """The watchdog's clock, moved forward by the test."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        """The instant the test last set."""
        return self.at


def frozen_datetime(instant: datetime) -> type[datetime]:
    """``datetime`` whose ``now()`` is ``instant`` (for the commands' own clock)."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return instant.astimezone(tz) if tz is not None else instant.replace(tzinfo=None)

    return Frozen


def actions_policy(tmp: Path) -> Path:
    """The 威海 preset plus a 函询 rule (answer within 3 working days, strict answers)."""
    doc = yaml.safe_load(PRESET.read_text(encoding="utf-8"))
    doc["name"] = "weihai-actions"
    doc["lenient_consultation_answers"] = False
    doc["rules"].append(
        {
            "flow": "consultation-reply",
            "request": "ConsultationLetter",
            "answer": "ConsultationReply",
            "debtor": "recipient",
            "creditor": "sender",
            "working_days": 3,
            "at_expiry": "breach-report",
            "source": "test: 函询 answered within 3 working days",
        }
    )
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class Bus:
    """The module's running bus and the test's handles on it."""

    settings: Settings
    stores: dict[str, str]
    watchdog: Watchdog
    watchdog_db: str
    clock: HandClock
    rng: random.Random

    # -- events and commands -------------------------------------------------------------

    def item(self, when: datetime, party: str = COMMERCE) -> ApprovalResult:
        """An approval result for ``party`` decided and pushed at ``when``, in its store."""
        event = approval_result(
            CATALOGUE.matter(MATTER),
            self.rng.randrange(10**6, 10**7),
            sender=APPROVAL,
            region="371000",
            decided_at=when,
            rng=self.rng,
        )
        with Publisher(APPROVAL, self.settings) as pub:
            pub.publish(event)
        self.stored(party, event.envelope.case_key, "ApprovalResult")
        return event

    def letter(self, when: datetime) -> Event:
        """A 函询 from the approval bureau to 商务局 at ``when``, in 商务局's store."""
        event = make_event(
            "ConsultationLetter",
            event_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            sender=APPROVAL,
            recipients=[COMMERCE],
            at=when,
            region="371000",
        )
        with Publisher(APPROVAL, self.settings) as pub:
            pub.publish(event)
        self.stored(COMMERCE, event.envelope.case_key, "ConsultationLetter")
        return event

    def cli(self, when: datetime, *args: str, ok: bool = True) -> Result:
        """``sgbus *args`` run in-process with its wall clock at ``when``."""
        from sgbus.cli import _register, app

        _register()
        get_settings.cache_clear()
        with ExitStack() as stack:
            for module in CLOCKED:
                stack.enter_context(mock.patch(f"{module}.datetime", frozen_datetime(when)))
            out = CliRunner().invoke(app, list(args))
        get_settings.cache_clear()
        if ok:
            assert out.exit_code == 0, out.output
        return out

    # -- what the bus did ------------------------------------------------------------------

    def stored(self, party: str, case_key: str, event_type: str, timeout: float = 90) -> None:
        """Wait until ``party``'s department service has stored an item of that type."""
        engine = make_engine(self.stores[party])
        deadline = time.monotonic() + timeout
        while True:
            with engine.connect() as conn:
                rows = find_items(conn, party, case_key=case_key)
            if any(r["event_type"] == event_type for r in rows):
                return
            assert time.monotonic() < deadline, f"no {event_type} in {party}'s store"
            time.sleep(0.3)

    def records(self, topic: str, event_id: str, timeout: float = 90) -> list[Read]:
        """The records of ``topic`` with ``event_id``, once there is one."""
        deadline = time.monotonic() + timeout
        while True:
            got = [
                r
                for r in read_to_end(self.settings, [topic])
                if r.headers.get(h.EVENT_ID) == event_id
            ]
            if got or time.monotonic() > deadline:
                return got
            time.sleep(0.5)

    def routed(self, event_id: str, *to: str) -> None:
        """``event_id`` is in ``sg.audit``, delivered to exactly ``to``, and in their inboxes."""
        audit = self.records(AUDIT_TOPIC, event_id)
        assert audit, f"event {event_id} not in {AUDIT_TOPIC}"
        delivered = {p for r in audit for p in h.parse_parties(r.headers[h.DELIVERED_TO])}
        assert delivered == set(to), (event_id, delivered)
        for party in to:
            assert self.records(inbox_topic(party), event_id), f"{event_id} not in {party}'s inbox"

    def settle(self, when: datetime) -> None:
        """Set the watchdog's clock to ``when`` and run it until it has nothing left to do."""
        assert when >= self.clock.at, "the watchdog's clock only goes forward"
        self.clock.at = when
        deadline = time.monotonic() + 60
        self.watchdog.run(lambda: time.monotonic() > deadline, until_idle=True)
        assert time.monotonic() <= deadline, "the watchdog did not become idle"

    def obligations(self, case_key: str) -> dict[tuple[str, str], Obligation]:
        """The watchdog's obligations of ``case_key`` by (flow, debtor); one of each here."""
        with make_engine(self.watchdog_db).connect() as conn:
            rows = conn.execute(select(obligations).where(obligations.c.case_key == case_key))
            found = [from_row(r) for r in rows]
        by = {(o.opening.flow, o.opening.debtor): o for o in found}
        assert len(by) == len(found), [o.id for o in found]
        return by

    def claim_of(self, case_key: str, debtor: str) -> Obligation:
        """``debtor``'s claim obligation of ``case_key``."""
        return self.obligations(case_key)[("claim", debtor)]


def never_breached(ob: Obligation) -> bool:
    """Whether ``ob`` has never been in the breached state."""
    return ob.state is not State.BREACHED and all(s != "breached" for s, _ in ob.transitions)


# -- the module's bus ----------------------------------------------------------------------


@contextmanager
def department(settings: Settings, party: str, db_url: str) -> Iterator[None]:
    """``party``'s department service on a thread, reading its inbox from its current end."""
    start_at_end(db_url, group_id(party), inbox_topic(party), settings)
    service = DepartmentService(DepartmentConfig(party=party, db_url=db_url), settings)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(30)


def start_at_end(db_url: str, group: str, topic: str, settings: Settings) -> None:
    """Store the current end of ``topic`` as ``group``'s position: earlier tests' records are
    none of this module's business (and would make a watchdog breach them all)."""
    engine = make_engine(db_url)
    migrate(engine)
    deadline = time.monotonic() + 60
    while True:
        try:
            ends = end_offsets(settings.bootstrap_servers(), topic)
            break
        except KafkaException:  # a topic just made: its leader is still being elected
            assert time.monotonic() < deadline, f"no end offsets of {topic}"
            time.sleep(1)
    with engine.begin() as conn:
        save_offsets(conn, group, {(topic, p): o for p, o in ends.items()})


@pytest.fixture(scope="module")
def bus(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bus]:
    """Router, watchdog and three department services on the session stack."""
    tmp = tmp_path_factory.mktemp("actions")
    settings = bus_settings(stack)
    env = pytest.MonkeyPatch()
    env.setenv("SGBUS_BOOTSTRAP", settings.bootstrap_servers())
    env.setenv("SGBUS_SCHEMA_REGISTRY", settings.registry_url() or "")
    stores = {p: f"sqlite:///{tmp / p}.db" for p in (COMMERCE, HEALTH, OVERSIGHT)}
    wd_db = f"sqlite:///{tmp / 'watchdog.db'}"
    group = f"t-actions-{uuid.uuid4().hex[:8]}"
    start_at_end(wd_db, group, AUDIT_TOPIC, settings)
    clock = HandClock(at("2026-10-12", "09:00"))
    opts = RunOptions(
        db_url=wd_db,
        policy=str(actions_policy(tmp)),
        now=clock.at,
        config=WatchdogConfig(group_id=group, poll_timeout_s=0.2),
    )
    watchdog = build_watchdog(settings, opts)
    watchdog.clock = clock
    try:
        with ExitStack() as running:
            running.enter_context(running_router(settings, "actions"))
            for party, url in stores.items():
                running.enter_context(department(settings, party, url))
            watchdog.start()
            running.callback(watchdog.close)
            yield Bus(settings, stores, watchdog, wd_db, clock, random.Random(uuid.uuid4().int))
    finally:
        env.undo()
        get_settings.cache_clear()


# -- 转办 ---------------------------------------------------------------------------------


def test_transfer_is_never_a_breach_for_the_first_department(bus: Bus) -> None:
    item = bus.item(at("2026-10-12", "10:00"))  # Monday: 商务局's claim due Fri 10-16 00:00
    case = item.envelope.case_key
    bus.settle(at("2026-10-12", "10:30"))
    assert bus.claim_of(case, COMMERCE).opening.due_at == at("2026-10-16", "00:00")

    # Wednesday 15:00, 商务局 passes the item to 卫生健康委.
    out = bus.cli(
        at("2026-10-14", "15:00"),
        *("transfer", case, "--party", COMMERCE, "--to", HEALTH),
        *("--reason", "公共场所卫生许可，属卫生健康部门监管职责", "--by", "李明"),
        *("--db", bus.stores[COMMERCE]),
    )
    transfer_id = str(action_id(item.envelope.event_id, COMMERCE, f"transfer|{HEALTH}"))
    assert f"published ItemTransfer {transfer_id}" in out.output
    bus.routed(transfer_id, HEALTH)
    bus.settle(at("2026-10-14", "15:30"))
    first, second = bus.claim_of(case, COMMERCE), bus.claim_of(case, HEALTH)
    assert first.state is State.TRANSFERRED
    assert first.closed_at == at("2026-10-14", "15:00")
    # 卫生健康委 owes a claim of the transfer, 3 working days from it (Thu, Fri, Mon).
    assert second.opening.request_event_id == transfer_id
    assert second.opening.opened_at == at("2026-10-14", "15:00")
    assert second.opening.due_at == at("2026-10-20", "00:00")
    assert second.opening.original_due_at == at("2026-10-16", "00:00")
    assert second.opening.handed_over_from == COMMERCE
    assert second.state is State.OPEN

    # Monday 10-19: 商务局's first deadline (10-16) has passed on the watchdog's clock.
    bus.settle(at("2026-10-19", "09:00"))
    assert never_breached(bus.claim_of(case, COMMERCE))
    assert bus.claim_of(case, HEALTH).state is State.OPEN

    # 卫生健康委 claims the transfer from its inbox store, in time.
    bus.stored(HEALTH, case, "ItemTransfer")
    claimed = bus.cli(
        at("2026-10-19", "10:00"),
        *("claim", case, "--party", HEALTH, "--by", "王芳", "--db", bus.stores[HEALTH]),
    )
    assert "claimed ItemTransfer" in claimed.output
    assert bus.records(AUDIT_TOPIC, str(claim_event_id(transfer_id, HEALTH)))
    bus.settle(at("2026-10-19", "10:30"))
    done = bus.claim_of(case, HEALTH)
    assert done.state is State.DISCHARGED
    assert done.answered_at == at("2026-10-19", "10:00")

    # A week later nothing of the case has been breached.
    bus.settle(at("2026-10-23", "12:00"))
    assert all(never_breached(o) for o in bus.obligations(case).values())
    breach = outcome_id(first.id, OutcomeKind.BREACH)
    assert not bus.records(AUDIT_TOPIC, breach, timeout=3)


# -- 争议 and its ruling --------------------------------------------------------------------


def dispute(bus: Bus, item: ApprovalResult, when: datetime) -> str:
    """商务局 disputes ``item`` through the CLI at ``when``; the dispute's event id, once it is
    in the oversight office's pool (inbox) and the audit log."""
    case = item.envelope.case_key
    out = bus.cli(
        when,
        *("dispute", case, "--party", COMMERCE, "--reason", "监管职责未列入本部门权责清单"),
        *("--propose", HEALTH, "--by", "李明", "--db", bus.stores[COMMERCE]),
    )
    dispute_id = str(action_id(item.envelope.event_id, COMMERCE, "dispute"))
    assert f"published ResponsibilityDispute {dispute_id}" in out.output
    bus.routed(dispute_id, OVERSIGHT)
    bus.stored(OVERSIGHT, case, "ResponsibilityDispute")
    return dispute_id


def rule(bus: Bus, case: str, dispute_id: str, to: str, when: datetime) -> str:
    """The oversight office rules on the case's dispute through the CLI at ``when``."""
    out = bus.cli(
        when,
        *("rule", case, "--party", OVERSIGHT, "--to", to, "--reason", "依监管职责清单第十二项"),
        *("--by", "协调科", "--db", bus.stores[OVERSIGHT]),
    )
    ruling_id = str(action_id(dispute_id, OVERSIGHT, "ruling"))
    assert f"published DisputeRuling {ruling_id}" in out.output
    return ruling_id


def listed(bus: Bus, case: str, when: datetime) -> dict[tuple[str, str], dict[str, Any]]:
    """``sgbus obligations --json`` of ``case`` as of ``when``, by (flow, debtor)."""
    out = bus.cli(
        when,
        *("obligations", "--case", case, "--json", "--now", when.isoformat()),
        *("--db", bus.watchdog_db),
    )
    rows = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
    return {(r["flow"], r["debtor"]): r for r in rows}


def test_dispute_stops_the_clock_and_a_ruling_back_restarts_it(bus: Bus) -> None:
    item = bus.item(at("2026-10-26", "10:00"))  # Monday: claim due Fri 10-30 00:00
    case = item.envelope.case_key
    dispute_id = dispute(bus, item, at("2026-10-27", "10:00"))  # Tuesday
    bus.settle(at("2026-10-27", "10:30"))
    claim = bus.claim_of(case, COMMERCE)
    assert claim.state is State.SUSPENDED
    assert claim.suspended_at == at("2026-10-27", "10:00")
    # The office owes a ruling within 3 working days (Wed, Thu, Fri).
    owed = bus.obligations(case)[("dispute-ruling", OVERSIGHT)]
    assert (owed.opening.creditor, owed.opening.due_at) == (COMMERCE, at("2026-10-31", "00:00"))

    # Friday 09:00: 商务局's deadline (10-30 00:00) has passed on the clock; nothing expires.
    bus.settle(at("2026-10-30", "09:00"))
    assert bus.claim_of(case, COMMERCE).state is State.SUSPENDED
    assert never_breached(bus.claim_of(case, COMMERCE))
    shown = listed(bus, case, at("2026-10-30", "09:00"))[("claim", COMMERCE)]
    assert shown["state"] == "suspended"
    assert shown["suspended_at"] == "2026-10-27T10:00:00+08:00"
    table = bus.cli(
        at("2026-10-30", "09:00"),
        *("obligations", "--case", case, "--now", "2026-10-30T09:00:00+08:00"),
        *("--db", bus.watchdog_db),
    )
    assert "⏸ since 10-27 10:00" in table.output or "⏸ since 2026-10-27 10:00" in table.output

    # Friday 10:00 the office rules the item is 商务局's after all: its clock restarts, the
    # deadline moved by the 3 days the dispute stood.
    ruling_id = rule(bus, case, dispute_id, COMMERCE, at("2026-10-30", "10:00"))
    bus.routed(ruling_id, COMMERCE)
    bus.settle(at("2026-10-30", "10:30"))
    claim = bus.claim_of(case, COMMERCE)
    assert claim.state is State.OPEN
    assert claim.opening.due_at == at("2026-11-02", "00:00")
    assert bus.obligations(case)[("dispute-ruling", OVERSIGHT)].state is State.DISCHARGED
    bus.settle(at("2026-11-01", "23:00"))
    assert bus.claim_of(case, COMMERCE).state is State.OPEN
    # The restarted clock runs out like any other.
    bus.settle(at("2026-11-02", "00:30"))
    assert bus.claim_of(case, COMMERCE).state is State.BREACHED


def test_a_ruling_to_another_department_is_a_transfer(bus: Bus) -> None:
    item = bus.item(at("2026-11-09", "10:00"))  # Monday: claim due Fri 11-13 00:00
    case = item.envelope.case_key
    dispute_id = dispute(bus, item, at("2026-11-10", "10:00"))
    ruling_id = rule(bus, case, dispute_id, HEALTH, at("2026-11-12", "10:00"))  # Thursday
    bus.routed(ruling_id, COMMERCE, HEALTH)
    bus.stored(HEALTH, case, "DisputeRuling")
    bus.settle(at("2026-11-12", "10:30"))
    first, second = bus.claim_of(case, COMMERCE), bus.claim_of(case, HEALTH)
    assert first.state is State.TRANSFERRED
    assert first.closed_at == at("2026-11-12", "10:00")
    # 卫生健康委 owes a claim of the ruling within 3 working days of it (Fri, Mon, Tue).
    assert second.opening.request_event_id == ruling_id
    assert second.opening.due_at == at("2026-11-18", "00:00")
    assert second.opening.original_due_at == at("2026-11-13", "00:00")
    assert second.opening.handed_over_from == COMMERCE
    assert bus.obligations(case)[("dispute-ruling", OVERSIGHT)].state is State.DISCHARGED
    bus.settle(at("2026-11-17", "12:00"))
    assert bus.claim_of(case, HEALTH).state is State.OPEN
    bus.settle(at("2026-11-18", "00:30"))
    assert bus.claim_of(case, HEALTH).state is State.BREACHED
    assert never_breached(bus.claim_of(case, COMMERCE))


def test_an_unruled_dispute_escalates_after_three_working_days(bus: Bus) -> None:
    item = bus.item(at("2026-11-23", "10:00"))  # Monday: claim due Fri 11-27 00:00
    case = item.envelope.case_key
    dispute(bus, item, at("2026-11-24", "10:00"))  # Tuesday: ruling due Sat 11-28 00:00
    bus.settle(at("2026-11-27", "23:00"))
    owed = bus.obligations(case)[("dispute-ruling", OVERSIGHT)]
    assert owed.state is State.OPEN and owed.opening.due_at == at("2026-11-28", "00:00")
    assert bus.claim_of(case, COMMERCE).state is State.SUSPENDED
    bus.settle(at("2026-11-28", "00:30"))
    escalation = outcome_id(owed.id, OutcomeKind.ESCALATION)
    bus.routed(escalation, OVERSIGHT, COMMERCE)
    (record,) = bus.records(inbox_topic(OVERSIGHT), escalation)
    event = serde_for(bus.settings).decode(record.value or b"", record.topic)
    assert isinstance(event, Escalation) and event.escalated_to == OVERSIGHT
    # 商务局's clock still stands: the dispute is open, only escalated.
    bus.settle(at("2026-11-30", "09:00"))
    assert bus.claim_of(case, COMMERCE).state is State.SUSPENDED
    assert never_breached(bus.claim_of(case, COMMERCE))


# -- 督办 ---------------------------------------------------------------------------------


def test_urging_reaches_the_department_and_is_counted(bus: Bus) -> None:
    item = bus.item(at("2026-11-30", "09:00"))  # Monday: claim due Fri 12-04 00:00
    case = item.envelope.case_key
    bus.settle(at("2026-11-30", "09:30"))
    owed = bus.claim_of(case, COMMERCE)
    sent = []
    for when in (at("2026-12-01", "09:00"), at("2026-12-01", "09:20")):
        out = bus.cli(
            when,
            *("urge", owed.id, "--party", OVERSIGHT, "--message", "请于1个工作日内认领"),
            *("--db", bus.watchdog_db),
        )
        (urging_id,) = [w.split()[-1] for w in out.output.splitlines() if "Urging" in w]
        bus.routed(urging_id, COMMERCE)
        sent.append((urging_id, when))
    bus.stored(COMMERCE, case, "Urging")
    bus.settle(at("2026-12-01", "09:30"))
    counted = bus.claim_of(case, COMMERCE)
    assert sorted(counted.urgings) == sorted(sent)
    assert counted.state is State.OPEN
    assert len(listed(bus, case, at("2026-12-01", "09:30"))[("claim", COMMERCE)]["urgings"]) == 2


# -- 函询 answers -------------------------------------------------------------------------


def test_consultation_answers_are_the_fixed_set(bus: Bus) -> None:
    letter = bus.letter(at("2026-11-30", "10:00"))  # answer due Fri 12-04 00:00
    case = letter.envelope.case_key
    answer = ("answer", case, "--party", COMMERCE, "--position", "不同意")
    where = ("--db", bus.stores[COMMERCE])
    refused = bus.cli(at("2026-12-01", "10:00"), *answer, *where, ok=False)
    assert refused.exit_code == 2
    assert "不同意 its reason" in refused.output
    bus.cli(at("2026-12-01", "10:00"), *answer, "--reply", "与本部门行业规划不一致", *where)
    reply_id = str(action_id(letter.envelope.event_id, COMMERCE, "reply"))
    bus.routed(reply_id, APPROVAL)
    # Only the answer with its reason was published (the refused one had the same id).
    (record,) = bus.records(AUDIT_TOPIC, reply_id)
    reply = serde_for(bus.settings).decode(record.value or b"", record.topic)
    assert isinstance(reply, ConsultationReply)
    assert (reply.position, reply.reply) == (
        ConsultationPosition.DISAGREE,
        "与本部门行业规划不一致",
    )
    bus.settle(at("2026-12-01", "10:30"))
    owed = bus.obligations(case)[("consultation-reply", COMMERCE)]
    assert owed.state is State.DISCHARGED and owed.answered_at == at("2026-12-01", "10:00")

    # 同意 needs no text.
    agreed = bus.letter(at("2026-11-30", "10:00"))
    bus.cli(
        at("2026-12-01", "10:00"),
        *("answer", agreed.envelope.case_key, "--party", COMMERCE, "--position", "同意"),
        *where,
    )
    bus.routed(str(action_id(agreed.envelope.event_id, COMMERCE, "reply")), APPROVAL)

    # A system that sends 不同意 without a reason anyway: under the strict switch
    # (lenient_consultation_answers: false) it is no answer, and the letter stays owed.
    other = bus.letter(at("2026-11-30", "10:00"))
    bare = make_event(
        "ConsultationReply",
        event_id=uuid.UUID(int=bus.rng.getrandbits(128), version=4),
        sender=COMMERCE,
        recipients=[APPROVAL],
        at=at("2026-12-01", "10:00"),
        region="371000",
        case_key=other.envelope.case_key,
        causation=other.envelope.event_id,
        letter_event_id=other.envelope.event_id,
        position=ConsultationPosition.DISAGREE,
        reply=None,
        deemed=False,
    )
    with Publisher(COMMERCE, bus.settings) as pub:
        pub.publish(bare)
    bus.routed(str(bare.envelope.event_id), APPROVAL)
    bus.settle(at("2026-12-01", "10:45"))
    still = bus.obligations(other.envelope.case_key)[("consultation-reply", COMMERCE)]
    assert still.state is State.OPEN and still.answered_at is None
    bus.settle(at("2026-12-04", "00:30"))
    assert (
        bus.obligations(other.envelope.case_key)[("consultation-reply", COMMERCE)].state
        is State.BREACHED
    )
    for answered in (case, agreed.envelope.case_key):
        assert bus.obligations(answered)[("consultation-reply", COMMERCE)].state is State.DISCHARGED
