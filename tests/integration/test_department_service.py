"""The department service on the real broker and registry: storage exactly once, claims on
receipt, the watchdog's auto-claims, manual claims from the command line, undecodable records."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from sgbus.bus.claims import INTEGRATED_NOTE, claim_event_id
from sgbus.bus.events import Claim
from sgbus.bus.parties import WATCHDOG_PARTY, outbox_topic
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.settings import get_settings
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import outbox
from sgbus.consumers.department.rejects import find_rejected
from sgbus.consumers.department.service import DepartmentConfig
from tests.catalogue_files import catalogue_with
from tests.department_events import APPROVAL, approval, auto_claim_of, notice
from tests.fixtures.postgres import POSTGRESQL
from tests.integration.department_support import (
    Router,
    Running,
    create_party_topics,
    new_party,
    read_topic,
    rows,
    stored_count,
    wait_until,
)

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", POSTGRESQL])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dept.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def party(endpoints: Any) -> str:
    p = new_party()
    create_party_topics(endpoints, p)
    return p


@pytest.fixture
def start(endpoints: Any, serde: Serde) -> Iterator[Any]:
    running: list[Running] = []

    def _start(config: DepartmentConfig) -> Running:
        r = Running(config, endpoints, serde)
        running.append(r)
        return r

    yield _start
    for r in running:
        if r.thread.is_alive():
            r.close()


def _rejected_metric(party: str) -> float:
    return REGISTRY.get_sample_value("sgbus_inbox_rejected_total", {"party": party}) or 0.0


def test_each_item_is_stored_once_and_claimed_once_on_receipt(
    endpoints: Any, serde: Serde, party: str, db_url: str, start: Any
) -> None:
    approvals = [approval(i, party, run=party) for i in range(40)]
    infos = [notice(i, party, run=party) for i in range(5)]
    router = Router(endpoints.bootstrap, serde, party)
    router.send(approvals + infos)
    router.send(approvals[:20])  # the same events again: a resend upstream
    router.raw(b"\x07not avro at all")
    router.raw(b"\x00\x7f\xff\xff\xf0" + b"\x02" * 20)  # Confluent header, unknown schema id
    router.flush()

    config = DepartmentConfig(party=party, db_url=db_url, claim_on_receipt=True, batch_size=25)
    engine = make_engine(db_url)
    service = start(config)
    wait_until(lambda: stored_count(engine, party) >= 45, 60, "45 stored items")
    wait_until(lambda: _rejected_count(engine, party) >= 2, 30, "2 rejected records")
    claims = read_topic(endpoints.bootstrap, outbox_topic(party), serde, at_least=40)
    service.close()

    stored = {r["event_id"]: r for r in rows(engine, party)}
    assert set(stored) == {str(e.envelope.event_id) for e in approvals + infos}
    for e in approvals:
        row = stored[str(e.envelope.event_id)]
        assert (row["claim_state"], row["claim_mode"]) == ("claimed", "INTEGRATED")
        assert row["claim_event_id"] == str(claim_event_id(e.envelope.event_id, party))
    assert {stored[str(e.envelope.event_id)]["claim_state"] for e in infos} == {"info"}

    assert len(claims) == 40, "exactly one claim per approval result on the outbox topic"
    assert all(isinstance(c, Claim) for c in claims)
    assert {c.claimed_event_id for c in claims if isinstance(c, Claim)} == {
        e.envelope.event_id for e in approvals
    }
    for c in claims:
        assert isinstance(c, Claim)
        assert c.envelope.sender == party and c.envelope.recipients == [APPROVAL]
        assert c.note == INTEGRATED_NOTE and c.officer is None
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.sent_at)).scalars().all().count(None) == 0
        rejected = find_rejected(conn, party)
    reasons = sorted(str(r["reason"]) for r in rejected)
    assert reasons[0].startswith("magic byte 0x07") and reasons[1].startswith("schema id")
    assert all("not avro" not in str(r["reason"]) for r in rejected)  # no payload echoed
    assert _rejected_metric(party) == 2

    # A second run over the same topic (new process state, same store) changes nothing.
    service = start(config)
    router.send(approvals[:5])
    wait_until(lambda: _committed_offsets(engine, party) >= 67 + 5, 30, "the resent records")
    service.close()
    assert stored_count(engine, party) == 45
    again = read_topic(endpoints.bootstrap, outbox_topic(party), serde, at_least=40, settle=1.0)
    assert len(again) == 40


def _rejected_count(engine: Engine, party: str) -> int:
    with engine.connect() as conn:
        return len(find_rejected(conn, party))


def _committed_offsets(engine: Engine, party: str) -> int:
    from sgbus.bus.store.offsets import load_offsets
    from sgbus.consumers.department.service import group_id

    with engine.connect() as conn:
        return sum(load_offsets(conn, group_id(party)).values())


def test_watchdog_auto_claim_and_manual_claim_from_the_command_line(
    endpoints: Any,
    serde: Serde,
    party: str,
    tmp_path: Path,
    start: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'dept.db'}"
    a1, a2, a3 = (approval(i, party, run=party) for i in range(3))
    router = Router(endpoints.bootstrap, serde, party)
    router.send([a1, a2, a3, auto_claim_of(a1, party), auto_claim_of(a2, "someone-else")])

    engine = make_engine(db_url)
    service = start(DepartmentConfig(party=party, db_url=db_url, claim_on_receipt=False))
    wait_until(lambda: stored_count(engine, party) >= 5, 60, "5 stored items")
    service.close()

    stored = {r["event_id"]: r for r in rows(engine, party)}
    r1, r2 = stored[str(a1.envelope.event_id)], stored[str(a2.envelope.event_id)]
    assert (r1["claim_state"], r1["claim_mode"], r1["claimed_by"]) == (
        "claimed",
        "AUTOMATIC",
        WATCHDOG_PARTY,
    )
    assert r2["claim_state"] == "pending"  # the auto-claim was for another party
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.seq)).all() == [], "an auto-claim publishes nothing"

    from sgbus.cli import _register, app

    _register()
    monkeypatch.setenv("SGBUS_BOOTSTRAP", endpoints.bootstrap)
    monkeypatch.setenv("SGBUS_SCHEMA_REGISTRY", endpoints.schema_registry)
    monkeypatch.setenv("SGBUS_CATALOGUE", str(catalogue_with(tmp_path, party)))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        case = a2.envelope.case_key
        done = runner.invoke(app, ["claim", "--party", party, case, "--by", "王五", "--db", db_url])
        assert done.exit_code == 0, done.output
        assert "published 1 message(s)" in done.output
        twice = runner.invoke(app, ["claim", "--party", party, case, "--db", db_url])
        assert twice.exit_code == 1 and "no pending item" in twice.output
        listed = runner.invoke(
            app, ["inbox", "--party", party, "--pending", "--json", "--db", db_url]
        )
        assert listed.exit_code == 0, listed.output
    finally:
        get_settings.cache_clear()

    import json

    pending = [json.loads(line) for line in listed.output.splitlines()]
    assert [p["event_id"] for p in pending] == [str(a3.envelope.event_id)]
    claims = read_topic(endpoints.bootstrap, outbox_topic(party), serde, at_least=1)
    assert len(claims) == 1
    (claim,) = claims
    assert isinstance(claim, Claim) and claim.claimed_event_id == a2.envelope.event_id
    assert claim.officer is not None and claim.officer.name == "王五"
    assert claim.envelope.event_id == claim_event_id(a2.envelope.event_id, party)
    row = {r["event_id"]: r for r in rows(engine, party)}[str(a2.envelope.event_id)]
    assert (row["claim_state"], row["claim_mode"]) == ("claimed", "MANUAL")
    assert uuid.UUID(row["claim_event_id"]) == claim.envelope.event_id


def test_an_unreachable_registry_delays_items_but_never_sets_them_aside(
    endpoints: Any, serde: Serde, party: str, tmp_path: Path, start: Any
) -> None:
    db_url = f"sqlite:///{tmp_path / 'dept.db'}"
    events = [approval(i, party, run=party) for i in range(3)]
    Router(endpoints.bootstrap, serde, party).send(events)
    engine = make_engine(db_url)
    config = DepartmentConfig(party=party, db_url=db_url, retry_backoff_s=0.2)

    # A serde whose registry does not answer: every decode fails for a reason that may pass.
    offline = Running(config, endpoints, build_serde("http://127.0.0.1:9"))
    wait_until(lambda: offline.service.retried_batches >= 2, 60, "two failed attempts")
    offline.close()
    assert stored_count(engine, party) == 0 and _rejected_count(engine, party) == 0
    assert _committed_offsets(engine, party) == 0

    service = start(config)
    wait_until(
        lambda: stored_count(engine, party) == 3, 60, "the 3 items once the registry answers"
    )
    service.close()
    assert _rejected_count(engine, party) == 0
