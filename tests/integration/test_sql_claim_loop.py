"""A department with only a PostgreSQL database runs the whole claim loop without code: the
router delivers the bureau's approval result, ``sql-inbox`` writes it into the department's
``sgbus_inbox``, the department's system records a claim with one UPDATE, ``sql-claims``
publishes it, and the router brings it to the bureau's inbox; the bureau's system publishes
through ``sql-outbox`` from its own table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, update

from sgbus.bus import headers as h
from sgbus.bus.claims import claim_event_id
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.connectors.sql.tables import inbox_table, outbox_table
from sgbus.connectors.testing.process import wait_for
from sgbus.stack.testing import StackEndpoints
from tests.integration.bus_helpers import (
    CATALOGUE,
    bus_settings,
    results,
    running_router,
    sql_connector,
)

pytestmark = pytest.mark.integration
BUREAU = "weihai-approval"
MATTER = "WH-A1-001"


@pytest.fixture
def running(stack: StackEndpoints) -> Iterator[ExitStack]:
    settings = bus_settings(stack)
    with ExitStack() as stack_of_things, running_router(settings, instance="sql-loop"):
        yield stack_of_things


def test_a_database_only_department_claims_an_approval_result(
    stack: StackEndpoints, postgres_url: str, tmp_path: Path, running: ExitStack
) -> None:
    (dept,) = [p.id for p in CATALOGUE.supervisors_of(MATTER, "371000")]
    bureau_db = f"sqlite:///{tmp_path / 'bureau.db'}"
    processes = [
        sql_connector("sql-outbox", BUREAU, bureau_db, tmp_path, stack),
        sql_connector("sql-inbox", dept, postgres_url, tmp_path, stack),
        sql_connector("sql-claims", dept, postgres_url, tmp_path, stack),
    ]
    for p in processes:
        running.callback(p.stop)

    # The bureau's system: one INSERT.
    (result,) = results(1, seed=151, matters=[MATTER], base_serial=151_000)
    bureau = create_engine(bureau_db)
    outbox = outbox_table()
    wait_for(lambda: _has_table(bureau, outbox.name), 60, "the bureau's outbox table")
    with bureau.begin() as conn:
        conn.execute(
            insert(outbox).values(event_type="ApprovalResult", payload=result.model_dump_json())
        )

    # The department's database receives it.
    department = create_engine(postgres_url)
    inbox = inbox_table()
    item_id = str(result.envelope.event_id)

    def received() -> bool:
        for p in processes:
            assert p.alive(), f"{p.name} exited:\n{p.log_text()[-3000:]}"
        if not _has_table(department, inbox.name):
            return False
        with department.connect() as conn:
            found = conn.execute(select(inbox.c.event_id).where(inbox.c.event_id == item_id))
            return found.first() is not None

    # The department's inbox may hold earlier tests' records: the new connector group reads
    # them first, and they land in the table beside this test's item.
    wait_for(received, 240, "the item in the department's sgbus_inbox")
    with bureau.connect() as conn:
        sent = conn.execute(select(outbox.c.status, outbox.c.event_id)).one()
    assert tuple(sent) == ("sent", item_id)

    # The department's system claims it: one UPDATE.
    with department.begin() as conn:
        conn.execute(
            update(inbox)
            .where(inbox.c.event_id == item_id)
            .values(claimed_at=result.envelope.occurred_at, claimed_by="王五")
        )
    claim_id = str(claim_event_id(result.envelope.event_id, dept))

    def claim_recorded() -> bool:
        with department.connect() as conn:
            claimed = select(inbox.c.claim_event_id).where(inbox.c.event_id == item_id)
            return conn.execute(claimed).scalar() == claim_id

    wait_for(claim_recorded, 60, "the claim's event id on the item")
    settings = bus_settings(stack)
    deadline = time.monotonic() + 90
    while not any(
        r.headers.get(h.EVENT_ID) == claim_id for r in read_to_end(settings, [inbox_topic(BUREAU)])
    ):
        assert time.monotonic() < deadline, "the claim did not reach the bureau's inbox"
        time.sleep(0.5)
    for p in processes:
        assert p.alive(), p.log_text()[-2000:]


def _has_table(engine: object, name: str) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(engine).has_table(name))
