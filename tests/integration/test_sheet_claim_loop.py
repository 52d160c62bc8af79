"""An office that only has Excel runs the whole claim loop: the router delivers the bureau's
approval result, ``sql-inbox`` writes it into the office's local SQLite file, ``sgbus sheet
out`` puts it on a claim form, the officer writes a name on its row, ``sgbus sheet in`` reads
the form back, and ``sql-claims`` publishes the claim."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, inspect, select

from sgbus.bus.claims import claim_event_id
from sgbus.connectors.sql.claim_form import CLAIMED_BY, EVENT_ID, HEADER
from sgbus.connectors.sql.tables import inbox_table
from sgbus.connectors.testing.process import wait_for
from sgbus.demo.synthetic import approval_result
from sgbus.producers.publisher import Publisher
from sgbus.stack.testing import StackEndpoints
from tests.integration.bus_helpers import CATALOGUE, bus_settings, running_router, sql_connector

pytestmark = pytest.mark.integration
BUREAU = "weihai-approval"
MATTER = "WH-A1-001"


@pytest.fixture
def running(stack: StackEndpoints) -> Iterator[ExitStack]:
    with ExitStack() as things, running_router(bus_settings(stack), instance="sheet-loop"):
        yield things


def test_an_excel_only_office_claims_on_a_form(
    stack: StackEndpoints, tmp_path: Path, running: ExitStack
) -> None:
    (dept,) = [p.id for p in CATALOGUE.supervisors_of(MATTER, "371000")]
    office = tmp_path / f"{dept}.db"
    inbox_sql, claims_sql = (
        sql_connector(n, office.stem, f"sqlite:///{office}", office.parent, stack)
        for n in ("sql-inbox", "sql-claims")
    )
    for p in (inbox_sql, claims_sql):
        running.callback(p.stop)

    now = dt.datetime.now(dt.UTC)
    serial = 300_000 + int(time.time()) % 100_000  # a case of its own on a long-lived stack
    result = approval_result(
        CATALOGUE.matter(MATTER),
        serial,
        sender=BUREAU,
        region="371000",
        decided_at=now,
        rng=random.Random(serial),
    )
    with Publisher(BUREAU, bus_settings(stack)) as publisher:
        publisher.publish(result)
    item_id = str(result.envelope.event_id)

    # The office's database receives it (beside the earlier tests' items of the party's inbox).
    table, engine = inbox_table(), create_engine(f"sqlite:///{office}")

    def received() -> bool:
        for p in (inbox_sql, claims_sql):
            assert p.alive(), f"{p.name} exited:\n{p.log_text()[-3000:]}"
        if not inspect(engine).has_table(table.name):
            return False
        with engine.connect() as conn:
            return (
                conn.execute(select(table).where(table.c.event_id == item_id)).first() is not None
            )

    wait_for(received, 90, "the item in the office's sgbus_inbox", interval_s=0.5)

    # The claim form lists it; the officer writes a name on its row.
    form = tmp_path / "认领单.xlsx"
    out = inbox_sql.run_to_end("sheet", "out", "--url", f"sqlite:///{office}", "--out", str(form))
    assert out.returncode == 0, out.stderr
    book = load_workbook(form)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(HEADER)
    (row,) = [r for r in sheet.iter_rows(min_row=2) if r[HEADER.index(EVENT_ID)].value == item_id]
    row[HEADER.index(CLAIMED_BY)].value = "王五"
    book.save(form)

    read = inbox_sql.run_to_end("sheet", "in", str(form), "--url", f"sqlite:///{office}")
    assert read.returncode == 0, read.stdout + read.stderr
    assert ": 1 claimed, 0 unchanged, 0 refused" in read.stdout

    # sql-claims publishes the claim and notes its event id on the item.
    claim_id = str(claim_event_id(result.envelope.event_id, dept))

    def published() -> bool:
        with engine.connect() as conn:
            query = select(table.c.claim_event_id, table.c.claim_error)
            sent, error = conn.execute(query.where(table.c.event_id == item_id)).one()
        assert error is None, error
        return bool(sent == claim_id)

    wait_for(published, 30, "the claim's event id on the item", interval_s=0.5)
    again = inbox_sql.run_to_end("sheet", "in", str(form), "--url", f"sqlite:///{office}")
    assert again.returncode == 0 and ": 0 claimed, 1 unchanged, 0 refused" in again.stdout
    for p in (inbox_sql, claims_sql):
        assert p.alive(), p.log_text()[-2000:]
