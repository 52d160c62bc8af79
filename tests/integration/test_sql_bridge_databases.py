"""The SQL table bridge on each kind of department database: MariaDB and PostgreSQL, started by
the tests from Debian's packages (SQLite: tests/unit/test_sql_bridge.py). Items are kept once
with their claims, a recorded claim becomes a Claim, and a row of the outbox becomes an event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, update

from sgbus.connectors.sql.claims import SqlClaimSource
from sgbus.connectors.sql.config import SqlConfig
from sgbus.connectors.sql.inbox import SqlInboxSink
from sgbus.connectors.sql.outbox import SqlOutboxSource
from sgbus.producers.publisher import Receipt
from tests.fixtures.mariadb import MARIADB
from tests.fixtures.postgres import POSTGRESQL
from tests.unit.test_sql_bridge import AT, BUREAU, PARTY, Errant, context, inbox_record, result

pytestmark = pytest.mark.integration


@pytest.fixture(params=[MARIADB, POSTGRESQL])
def department_db(request: pytest.FixtureRequest) -> str:
    """A fresh database of the kind the parameter names."""
    fixture = "mariadb_url" if request.param == "mariadb" else "postgres_url"
    return str(request.getfixturevalue(fixture))


def test_items_claims_and_outbox_rows_round_trip(department_db: str, tmp_path: Path) -> None:
    url = SecretStr(department_db)
    sink = SqlInboxSink(SqlConfig(party=PARTY, url=url), context(PARTY, Errant()))
    sink.open()
    item = result(11)
    sink.put([inbox_record(item)])
    claimed = dt.datetime(2026, 10, 9, 2, 30, tzinfo=dt.UTC)
    with sink.db.engine.begin() as conn:
        conn.execute(update(sink.table).values(claimed_at=claimed, claimed_by="赵六𠀀"))
    sink.put([inbox_record(item)])  # a redelivery keeps the claim
    with sink.db.engine.connect() as conn:
        row = conn.execute(select(sink.table)).one()
    assert (row.claimed_at, row.claimed_by) == (claimed, "赵六𠀀")
    assert row.case_key == item.envelope.case_key and "威审批" in row.payload

    claims = SqlClaimSource(SqlConfig(party=PARTY, url=url), context(PARTY, Errant()))
    claims.open()
    (record,) = claims.poll(10)
    assert record.event.envelope.occurred_at == claimed
    receipt = Receipt(str(record.event.envelope.event_id), f"sg.{PARTY}.outbox", 1, 7)
    claims.committed([record], [receipt])
    assert claims.poll(10) == []

    outbox = SqlOutboxSource(SqlConfig(party=BUREAU, url=url), context(BUREAU, Errant()))
    outbox.open()
    with outbox.db.engine.begin() as conn:
        conn.execute(
            insert(outbox.table).values(
                event_type="ApprovalResult", payload=result(12).model_dump_json(), created_at=AT
            )
        )
    (published,) = outbox.poll(10)
    assert published.event.envelope.case_key == result(12).envelope.case_key
    outbox.committed([published], [Receipt(str(published.event.envelope.event_id), "t", 0, 1)])
    assert outbox.pending() == 0
    for connector in (sink, claims, outbox):
        connector.close()
