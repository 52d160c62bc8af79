"""The SQL table bridge passes the conformance suite: ``sql-inbox`` into PostgreSQL (reached
through a proxy the test can cut, refusing an item by a CHECK constraint), ``sql-outbox`` from
a department's SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from sgbus.bus.claims import build_claim
from sgbus.bus.events import Event
from sgbus.connectors.sql.tables import inbox_table, outbox_table
from sgbus.connectors.testing import SinkConformance
from sgbus.connectors.testing.bus import ApprovalResults, ConformanceBus
from sgbus.connectors.testing.process import ConnectorProcess, ServiceProcess, quick_settings
from sgbus.connectors.testing.source_suite import SourceConformance
from sgbus.stack.testing import StackEndpoints, free_ports
from tests.fixtures.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


class PostgresInbox:
    """``sgbus_inbox`` in a PostgreSQL database, through a proxy that can be cut."""

    def __init__(self, url: str) -> None:
        real = make_url(url)
        self.proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
        self.url = real.set(host="127.0.0.1", port=self.proxy.port).render_as_string(False)
        self.engine: Engine = create_engine(url)
        self.table = inbox_table()
        self.table.metadata.create_all(self.engine)

    def _scalar(self, query: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def stored_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(self.table.c.event_id))}

    def copies(self) -> int:
        return int(self._scalar(select(func.count()).select_from(self.table)))

    @contextmanager
    def down(self) -> Iterator[None]:
        self.proxy.cut()
        try:
            yield
        finally:
            self.proxy.restore()

    def refuse(self, event_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "ALTER TABLE sgbus_inbox ADD CONSTRAINT refused"
                    f" CHECK (event_id <> '{event_id}')"
                )
            )

    def accept_again(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("ALTER TABLE sgbus_inbox DROP CONSTRAINT refused"))

    def close(self) -> None:
        self.engine.dispose()
        self.proxy.close()


class TestSqlInboxConformance(SinkConformance):
    connector = "sql-inbox"

    @pytest.fixture
    def target(self, postgres_url: str) -> Iterator[PostgresInbox]:
        inbox = PostgresInbox(postgres_url)
        try:
            yield inbox
        finally:
            inbox.close()

    def config(self, target: PostgresInbox, party: str, workdir: Path) -> dict[str, Any]:
        return {"party": party, "url": target.url, "batch_size": 20}

    def invalid_configs(
        self, target: PostgresInbox, party: str, workdir: Path
    ) -> Iterable[tuple[dict[str, Any], str]]:
        yield from super().invalid_configs(target, party, workdir)
        good = self.config(target, party, workdir)
        yield {**good, "url": "no database here"}, "url"
        yield {**good, "table": "sgbus inbox; drop"}, "table"


class _SqliteDepartment:
    """A department with a SQLite database holding ``table``, and a source connector on it."""

    metrics_name: str

    def __init__(self, stack: StackEndpoints, workdir: Path, table: Table) -> None:
        self.bus = ConformanceBus.fresh(stack, f"conf-{self.metrics_name}")
        self.party = self.bus.party
        self.workdir = workdir
        self.url = f"sqlite:///{workdir / 'department.db'}"
        self.engine = create_engine(self.url, connect_args={"timeout": 30})
        self.table = table
        self.table.metadata.create_all(self.engine)
        (self.metrics_port,) = free_ports(1)
        self.config = {
            "party": self.party,
            "url": self.url,
            **quick_settings(workdir, self.metrics_port),
            "batch_size": 10,
        }
        self.process: ServiceProcess = ConnectorProcess(
            self.metrics_name, self.config, workdir, self.bus.environment()
        )

    def broken_configurations(self) -> Iterable[tuple[ServiceProcess, str]]:
        for i, (key, value) in enumerate([("url", "nope"), ("batch_size", 0)]):
            workdir = self.workdir / f"bad{i}"
            workdir.mkdir()
            config = {**self.config, key: value}
            yield ConnectorProcess(self.metrics_name, config, workdir, self.bus.environment()), key

    def close(self) -> None:
        self.engine.dispose()


class SqliteOutbox(_SqliteDepartment):
    """A department with a SQLite database, inserting rows into ``sgbus_outbox``."""

    metrics_name = "sql-outbox"

    def __init__(self, stack: StackEndpoints, workdir: Path) -> None:
        super().__init__(stack, workdir, outbox_table())
        self._results = ApprovalResults(self.party)

    def events(self, n: int) -> list[Event]:
        return self._results.make(n)

    def offer(self, events: Sequence[Event]) -> None:
        with self.engine.begin() as conn:
            for event in events:
                conn.execute(
                    insert(self.table).values(
                        event_type="ApprovalResult", payload=event.model_dump_json()
                    )
                )

    def offer_invalid(self) -> None:
        (event,) = self.events(1)
        data = json.loads(event.model_dump_json())
        data["licensee"]["uscc"] = "91370000MA3C0XXXX9"  # fails the GB 32100 check digit
        with self.engine.begin() as conn:
            conn.execute(
                insert(self.table).values(event_type="ApprovalResult", payload=json.dumps(data))
            )

    def refusals(self) -> list[str]:
        c = self.table.c
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(c.reason).where(c.status == "rejected"))]


class TestSqlOutboxConformance(SourceConformance):
    @pytest.fixture
    def source(self, stack: StackEndpoints, tmp_path: Path) -> Iterator[SqliteOutbox]:
        system = SqliteOutbox(stack, tmp_path)
        try:
            yield system
        finally:
            system.process.stop()
            system.close()


class SqliteClaims(_SqliteDepartment):
    """A department's system that records claims in its ``sgbus_inbox``."""

    metrics_name = "sql-claims"

    def __init__(self, stack: StackEndpoints, workdir: Path) -> None:
        super().__init__(stack, workdir, inbox_table())
        self._items = ApprovalResults("weihai-approval")
        self._claimed: dict[str, Event] = {}

    def events(self, n: int) -> list[Event]:
        """The claims the department will record (their items kept to offer)."""
        claims: list[Event] = []
        for item in self._items.make(n):
            claim = build_claim(item, self.party, item.envelope.occurred_at, officer="王五")
            self._claimed[str(claim.envelope.event_id)] = item
            claims.append(claim)
        return claims

    def offer(self, events: Sequence[Event]) -> None:
        with self.engine.begin() as conn:
            for claim in events:
                item = self._claimed[str(claim.envelope.event_id)]
                conn.execute(
                    insert(self.table).values(
                        event_id=str(item.envelope.event_id),
                        event_type="ApprovalResult",
                        case_key=item.envelope.case_key,
                        payload=item.model_dump_json(),
                        received_at=item.envelope.occurred_at,
                        claimed_at=claim.envelope.occurred_at,
                        claimed_by="王五",
                    )
                )

    def offer_invalid(self) -> None:
        """A claim recorded on an item that is not claimed (a notice)."""
        (item,) = self._items.make(1)
        with self.engine.begin() as conn:
            conn.execute(
                insert(self.table).values(
                    event_id=str(item.envelope.event_id),
                    event_type="RejectionNotice",
                    case_key=item.envelope.case_key,
                    payload="{}",
                    received_at=item.envelope.occurred_at,
                    claimed_at=item.envelope.occurred_at,
                )
            )

    def refusals(self) -> list[str]:
        c = self.table.c
        with self.engine.connect() as conn:
            return [
                r[0] for r in conn.execute(select(c.claim_error).where(c.claim_error.is_not(None)))
            ]


class TestSqlClaimsConformance(SourceConformance):
    @pytest.fixture
    def source(self, stack: StackEndpoints, tmp_path: Path) -> Iterator[SqliteClaims]:
        system = SqliteClaims(stack, tmp_path)
        try:
            yield system
        finally:
            system.process.stop()
            system.close()
