"""The department service waits out outages: the schema registry unreachable (behind a TCP
proxy the test cuts), and its PostgreSQL store stopped and started again (a server of the
test's own). Nothing is set aside, lost or doubled; the service never stops; its health shows
the outage. (Broker outages are tested with every service as a process, elsewhere.)"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select

from sgbus.bus.claims import claim_event_id
from sgbus.bus.parties import outbox_topic
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.store import make_engine
from sgbus.bus.store.offsets import load_offsets
from sgbus.bus.store.tables import outbox
from sgbus.consumers.department.rejects import count_rejected
from sgbus.consumers.department.service import DepartmentConfig, group_id
from tests.department_events import approval
from tests.fixtures.postgres import PrivateServer
from tests.fixtures.tcp_proxy import tcp_proxy
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


@pytest.fixture
def party(endpoints: Any) -> str:
    p = new_party()
    create_party_topics(endpoints, p)
    return p


def _healthy() -> float | None:
    return REGISTRY.get_sample_value("sgbus_service_healthy", {"service": "department"})


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        q = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(conn.execute(q).scalar_one())


def _rejected(engine: Engine, party: str) -> int:
    with engine.connect() as conn:
        return count_rejected(conn, party)


def _check_claims_once(endpoints: Any, serde: Serde, party: str, events: list[Any]) -> None:
    claims = read_topic(endpoints.bootstrap, outbox_topic(party), serde, at_least=len(events))
    ids = Counter(c.envelope.event_id for c in claims)
    assert set(ids) == {claim_event_id(e.envelope.event_id, party) for e in events}
    assert set(ids.values()) == {1}, "every claim on the outbox topic exactly once"


def _still_running(service: Running) -> Callable[[], bool]:
    return lambda: service.thread.is_alive() and service.error is None


def test_an_unreachable_registry_is_waited_out_without_setting_anything_aside(
    endpoints: Any, serde: Serde, party: str, tmp_path: Path
) -> None:
    events = [approval(i, party, run=party) for i in range(40)]
    Router(endpoints.bootstrap, serde, party).send(events)
    db_url = f"sqlite:///{tmp_path / 'dept.db'}"
    engine = make_engine(db_url)
    registry = urlsplit(endpoints.schema_registry)
    with tcp_proxy(registry.hostname or "127.0.0.1", registry.port or 80) as proxy:
        proxy.cut()
        through_proxy = urlunsplit(registry._replace(netloc=f"127.0.0.1:{proxy.port}"))
        config = DepartmentConfig(
            party=party, db_url=db_url, claim_on_receipt=True, batch_size=15, retry_backoff_s=0.2
        )
        registry_conf = {**endpoints.registry_config(), "url": through_proxy}
        service = Running(config, endpoints, build_serde(registry_conf))
        try:
            wait_until(lambda: service.service.retried_batches >= 3, 60, "three retried batches")
            assert _still_running(service)()
            assert _healthy() == 0, "unhealthy while the registry is away"
            assert stored_count(engine, party) == 0 and _rejected(engine, party) == 0
            with engine.connect() as conn:
                assert load_offsets(conn, group_id(party)) == {}, "no offset moved past a record"

            proxy.restore()
            wait_until(lambda: stored_count(engine, party) == 40, 60, "40 items after the outage")
            wait_until(lambda: _unsent(engine) == 0, 60, "every claim relayed")
            wait_until(lambda: _healthy() == 1, 30, "healthy again")
            assert _still_running(service)()
        finally:
            service.close()
    assert _rejected(engine, party) == 0, "nothing set aside as undecodable"
    _check_claims_once(endpoints, serde, party, events)


def test_a_restarted_postgresql_store_loses_and_doubles_nothing(
    endpoints: Any, serde: Serde, party: str, private_postgres: PrivateServer
) -> None:
    before = [approval(i, party, run=party) for i in range(100)]
    during = [approval(i, party, run=party) for i in range(100, 220)]
    router = Router(endpoints.bootstrap, serde, party)
    router.send(before)
    engine = make_engine(private_postgres.url)
    config = DepartmentConfig(
        party=party,
        db_url=private_postgres.url,
        claim_on_receipt=True,
        batch_size=20,
        retry_backoff_s=0.2,
    )
    service = Running(config, endpoints, serde)
    try:
        wait_until(lambda: stored_count(engine, party) == 100, 60, "100 items")
        engine.dispose()
        private_postgres.stop()
        router.send(during)
        wait_until(lambda: service.service.retried_batches >= 2, 60, "two retried batches")
        time.sleep(8)  # an outage of some seconds: several backoff rounds
        assert _still_running(service)()
        assert _healthy() == 0, "unhealthy while the store is away"
        private_postgres.start()
        wait_until(lambda: stored_count(engine, party) == 220, 90, "220 items after restart")
        wait_until(lambda: _unsent(engine) == 0, 60, "every claim relayed")
        wait_until(lambda: _healthy() == 1, 30, "healthy again")
        assert _still_running(service)()
    finally:
        service.close()
    stored = rows(engine, party)
    assert len(stored) == 220 and all(r["claim_state"] == "claimed" for r in stored)
    with engine.connect() as conn:
        assert int(conn.execute(select(func.count()).select_from(outbox)).scalar_one()) == 220
    assert _rejected(engine, party) == 0
    _check_claims_once(endpoints, serde, party, before + during)
