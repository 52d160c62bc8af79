"""The SQL table bridge on SQLite, without a broker: what the outbox source makes of the rows a
department's system writes, the inbox rows and their claims, and the DDL it ships."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.claims import claim_event_id
from sgbus.bus.events import ApprovalResult, Claim
from sgbus.bus.settings import Settings
from sgbus.connectors.api import ConnectorContext, InboxRecord
from sgbus.connectors.sql.claims import SqlClaimSource
from sgbus.connectors.sql.config import SqlConfig
from sgbus.connectors.sql.inbox import SqlInboxSink
from sgbus.connectors.sql.outbox import SqlOutboxSource
from sgbus.connectors.sql.tables import ddl, inbox_table, outbox_table
from sgbus.demo.synthetic import approval_result
from sgbus.producers.publisher import Receipt

PARTY = "weihai-health"
BUREAU = "weihai-approval"
AT = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)


class Errant:
    def __init__(self) -> None:
        self.reports: list[tuple[str, str]] = []
        self.flushed = 0

    def report_unreadable(self, ref: str, reason: str) -> None:
        self.reports.append((ref, reason))

    def report_inbox(self, record: InboxRecord, reason: str) -> None:
        self.reports.append((record.event_id, reason))

    def flush(self) -> None:
        self.flushed += 1


def context(party: str, errant: Errant) -> ConnectorContext:
    return ConnectorContext("sql", party, Settings(policy="weihai"), threading.Event(), errant)  # type: ignore[arg-type]


def config(tmp_path: Path) -> SqlConfig:
    return SqlConfig(party=PARTY, url=f"sqlite:///{tmp_path / 'dept.db'}")


def result(seed: int = 1, sender: str = BUREAU) -> ApprovalResult:
    return approval_result(
        example_catalogue().matter("WH-A1-001"),
        seed,
        sender=sender,
        region="371000",
        decided_at=AT,
        rng=random.Random(seed),
    )


# -- the outbox source ------------------------------------------------------------------------


def outbox_with(tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[SqlOutboxSource, Errant]:
    errant = Errant()
    source = SqlOutboxSource(
        SqlConfig(party=BUREAU, url=config(tmp_path).url), context(BUREAU, errant)
    )
    source.open()
    with source.db.engine.begin() as conn:
        for row in rows:
            conn.execute(insert(source.table).values(**row))
    return source, errant


def payload_without_defaults(event: ApprovalResult) -> str:
    """What a hand-written row may leave out of the envelope."""
    data = json.loads(event.model_dump_json())
    for key in (
        "event_id",
        "event_type",
        "sender",
        "correlation_id",
        "occurred_at",
        "schema_version",
    ):
        del data["envelope"][key]
    return json.dumps(data, ensure_ascii=False)


def test_a_row_may_leave_out_what_it_says_already_and_keeps_one_event_id(tmp_path: Path) -> None:
    event = result()
    row = {"event_type": "ApprovalResult", "payload": payload_without_defaults(event)}
    source, _ = outbox_with(tmp_path, [{**row, "created_at": AT}])
    (first,) = source.poll(10)
    (again,) = source.poll(10)  # not marked yet: polled again, with the same id
    assert first.event.envelope.event_id == again.event.envelope.event_id
    env = first.event.envelope
    assert (env.sender, env.occurred_at, env.correlation_id) == (BUREAU, AT, env.event_id)
    assert first.ref == "sgbus_outbox row 1" and first.position == 1
    assert source.pending() == 1
    receipt = Receipt(str(env.event_id), "sg.weihai-approval.outbox", 2, 41)
    source.committed([first], [receipt])
    assert source.poll(10) == [] and source.pending() == 0
    with source.db.engine.connect() as conn:
        sent = conn.execute(select(source.table)).one()
    assert (sent.status, sent.event_id, sent.kafka_partition, sent.kafka_offset) == (
        "sent",
        str(env.event_id),
        2,
        41,
    )


def test_the_event_id_column_wins_and_a_contradiction_is_refused(tmp_path: Path) -> None:
    event = result()
    given = "7e0d4bd5-2d4c-4b1e-9a53-4b3f1c1a8e01"
    body = event.model_dump_json()
    source, errant = outbox_with(
        tmp_path,
        [
            {"event_type": "ApprovalResult", "payload": payload_without_defaults(event),
             "event_id": given, "created_at": AT},
            {"event_type": "ApprovalResult", "payload": body, "event_id": given},
            {"event_type": "SupervisionAction", "payload": body},
        ],
    )  # fmt: skip
    (taken,) = source.poll(10)
    assert str(taken.event.envelope.event_id) == given
    assert [ref for ref, _ in errant.reports] == ["sgbus_outbox row 2", "sgbus_outbox row 3"]
    assert "event_id differs" in errant.reports[0][1]
    assert "event_type differs" in errant.reports[1][1]
    assert errant.flushed == 1  # dead letters acknowledged before the rows are marked


def test_a_row_that_is_no_event_is_rejected_with_a_reason_naming_the_field(tmp_path: Path) -> None:
    data = json.loads(result().model_dump_json())
    data["licensee"]["uscc"] = 12345
    secret_name = data["licensee"]["name"]
    del data["document_number"]
    source, _ = outbox_with(
        tmp_path,
        [
            {"event_type": "ApprovalResult", "payload": "{not json"},
            {"event_type": "ApprovalResult", "payload": json.dumps(data, ensure_ascii=False)},
        ],
    )
    assert source.poll(10) == []
    with source.db.engine.connect() as conn:
        rows = conn.execute(select(source.table).order_by(source.table.c.id)).all()
    assert [r.status for r in rows] == ["rejected", "rejected"]
    assert "Expecting property name" in rows[0].reason
    assert "document_number: Field required" in rows[1].reason
    assert "licensee.uscc" in rows[1].reason and secret_name not in rows[1].reason


def test_a_row_the_bus_refuses_is_marked_with_the_reason(tmp_path: Path) -> None:
    source, _ = outbox_with(
        tmp_path, [{"event_type": "ApprovalResult", "payload": result().model_dump_json()}]
    )
    (record,) = source.poll(10)
    source.rejected(record, "licensee.uscc: check digit wrong")
    with source.db.engine.connect() as conn:
        row = conn.execute(select(source.table)).one()
    assert (row.status, row.reason) == ("rejected", "licensee.uscc: check digit wrong")
    assert source.poll(10) == []


# -- the inbox sink and the claims ------------------------------------------------------------


def inbox_record(event: ApprovalResult, offset: int = 0) -> InboxRecord:
    return InboxRecord(
        event, str(event.envelope.event_id), "ApprovalResult", f"sg.{PARTY}.inbox", 0, offset
    )


def test_items_are_kept_once_and_a_redelivery_keeps_the_claim(tmp_path: Path) -> None:
    sink = SqlInboxSink(config(tmp_path), context(PARTY, Errant()))
    sink.open()
    item = result(7)
    sink.put([inbox_record(item)])
    table = sink.table
    claimed = dt.datetime(2026, 10, 9, 2, tzinfo=dt.UTC)
    with sink.db.engine.begin() as conn:
        conn.execute(update(table).values(claimed_at=claimed, claimed_by="张三"))
    sink.put([inbox_record(item), inbox_record(result(8), 1)])  # a redelivery, and a new one
    with sink.db.engine.connect() as conn:
        rows = {r.event_id: r for r in conn.execute(select(table))}
    row = rows[str(item.envelope.event_id)]
    assert len(rows) == 2 and (row.claimed_at, row.claimed_by) == (claimed, "张三")
    assert (row.case_key, row.matter_code, row.licensee_uscc, row.decision_date) == (
        item.envelope.case_key,
        "WH-A1-001",
        item.licensee.uscc,
        item.decision_date,
    )
    assert ApprovalResult.model_validate_json(row.payload) == item
    # 威海: 3 working days from 2026-09-30 16:00 (+08:00), over the National Day holiday (the
    # same answer as `sgbus deadline --policy weihai --flow claim`)
    assert row.claim_deadline == dt.datetime(
        2026, 10, 11, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )


def test_a_recorded_claim_is_published_once_with_the_officer(tmp_path: Path) -> None:
    sink = SqlInboxSink(config(tmp_path), context(PARTY, Errant()))
    sink.open()
    item = result(3)
    sink.put([inbox_record(item)])
    claims = SqlClaimSource(config(tmp_path), context(PARTY, Errant()))
    claims.open()
    assert claims.poll(10) == []
    at = dt.datetime(2026, 10, 8, 1, 30, tzinfo=dt.UTC)
    with sink.db.engine.begin() as conn:
        conn.execute(update(sink.table).values(claimed_at=at, claimed_by=" 李四 "))
    (record,) = claims.poll(10)
    claim = record.event
    assert isinstance(claim, Claim)
    assert claim.envelope.event_id == claim_event_id(item.envelope.event_id, PARTY)
    assert (claim.claimed_event_id, claim.envelope.sender) == (item.envelope.event_id, PARTY)
    assert claim.envelope.occurred_at == at
    receipt = Receipt(str(claim.envelope.event_id), f"sg.{PARTY}.outbox", 0, 5)
    claims.committed([record], [receipt])
    assert claims.poll(10) == []
    with sink.db.engine.connect() as conn:
        row = conn.execute(select(sink.table)).one()
    assert row.claim_event_id == str(claim.envelope.event_id) and row.claim_published_at


def test_a_claim_that_cannot_be_made_says_why_on_the_item(tmp_path: Path) -> None:
    claims = SqlClaimSource(config(tmp_path), context(PARTY, Errant()))
    claims.open()
    with claims.db.engine.begin() as conn:
        conn.execute(
            insert(claims.table).values(
                event_id="00000000-0000-4000-8000-000000000001",
                event_type="RejectionNotice",
                case_key="371000:x",
                payload="{}",
                received_at=AT,
                claimed_at=AT,
            )
        )
    assert claims.poll(10) == []
    with claims.db.engine.connect() as conn:
        row = conn.execute(select(claims.table)).one()
    assert row.claim_error == "a RejectionNotice is not claimed" and row.claim_event_id is None


# -- the DDL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "words"),
    [
        ("postgresql", ["BIGSERIAL", "TIMESTAMP WITH TIME ZONE", "ix_sgbus_outbox_status"]),
        ("mariadb", ["LONGTEXT", "CHARSET=utf8mb4", "AUTO_INCREMENT"]),
        ("sqlite", ["INTEGER NOT NULL", "DEFAULT 'pending'"]),
    ],
)  # fmt: skip
def test_the_outbox_ddl_suits_each_database(dialect: str, words: list[str]) -> None:
    text = ddl(outbox_table(), dialect)
    for word in words:
        assert word in text, (word, text)


def test_the_inbox_ddl_names_every_column_the_bridge_writes() -> None:
    text = ddl(inbox_table("dept_inbox"), "postgresql")
    for column in ("event_id", "claim_deadline", "claimed_at", "claimed_by", "claim_event_id"):
        assert column in text
    assert "CREATE TABLE dept_inbox" in text


def test_under_a_province_map_each_item_gets_its_own_citys_claim_deadline(
    tmp_path: Path,
) -> None:
    from sgbus.bus.calendar import default_calendar
    from sgbus.bus.policy import load_policy

    errant = Errant()
    ctx = ConnectorContext(
        "sql",
        PARTY,
        Settings(policy="shandong"),
        threading.Event(),
        errant,  # type: ignore[arg-type]
    )
    sink = SqlInboxSink(config(tmp_path), ctx)
    sink.open()

    def in_region(seed: int, region: str) -> ApprovalResult:
        event = result(seed)
        env = event.envelope.model_copy(update={"region": region})
        return event.model_copy(update={"envelope": env})

    weihai, anqiu, zichuan = result(1), in_region(2, "370784"), in_region(3, "370302")
    sink.put([inbox_record(weihai), inbox_record(anqiu, 1), inbox_record(zichuan, 2)])
    with sink.db.engine.connect() as conn:
        due = dict(conn.execute(select(sink.table.c.event_id, sink.table.c.claim_deadline)).all())
    for event, preset in ((weihai, "weihai"), (anqiu, "anqiu")):
        expected = load_policy(preset).deadline("claim", AT, default_calendar()).due_at
        assert due[str(event.envelope.event_id)] == expected, preset
    assert due[str(zichuan.envelope.event_id)] is None  # 淄川's rules set no claim period
