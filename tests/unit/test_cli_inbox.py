"""``sgbus inbox`` and ``sgbus claim`` on a SQLite store, without a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine, migrate
from sgbus.cli import _register, app
from sgbus.consumers.department.intake import Position, Received, to_item
from sgbus.consumers.department.store import store_items
from tests.department_events import approval, notice

PARTY = "weihai-water"
TOPIC = f"sg.{PARTY}.inbox"
AT = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)
    serde = build_serde(None)
    events = [approval(1, PARTY), approval(2, PARTY), notice(3, PARTY)]
    received = [
        Received(Position(TOPIC, 0, i), e, serde.encode(e, TOPIC)) for i, e in enumerate(events)
    ]
    with engine.begin() as conn:
        store_items(conn, PARTY, [to_item(r, AT, PARTY) for r in received])
    _register()
    return url


def test_inbox_lists_items_and_claim_state_without_personal_data(db: str) -> None:
    wide = {"COLUMNS": "200"}
    result = CliRunner().invoke(app, ["inbox", "--party", PARTY, "--db", db], env=wide)
    assert result.exit_code == 0, result.output
    assert "ApprovalResult" in result.output and "PolicyChangeNotice" in result.output
    assert "威海市水务局 (weihai-water) inbox" in result.output
    lines = result.output.splitlines()
    assert sum("pending" in line for line in lines) == 2
    assert any("PolicyChangeNotice" in line and line.rstrip().endswith("-") for line in lines)
    licensee = approval(1, PARTY).licensee
    for personal in (licensee.name, licensee.address, licensee.legal_representative):
        assert not personal or str(personal) not in result.output


def test_inbox_json_filters_pending_items_of_one_case(db: str) -> None:
    case = approval(2, PARTY).envelope.case_key
    args = ["inbox", "--party", PARTY, "--pending", "--case", case, "--json", "--db", db]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.output.splitlines()]
    assert row["event_id"] == str(approval(2, PARTY).envelope.event_id)
    assert row["claim_state"] == "pending" and "value" not in row


def test_claiming_a_case_without_pending_items_is_an_error(db: str) -> None:
    result = CliRunner().invoke(app, ["claim", "--party", PARTY, "no-such-case", "--db", db])
    assert result.exit_code == 1
    assert "no pending item to claim for case 'no-such-case'" in result.output


def test_a_bad_party_id_is_refused(db: str) -> None:
    result = CliRunner().invoke(app, ["inbox", "--party", "Bad Party", "--db", db])
    assert result.exit_code == 2 and "bad party id" in result.output
