"""A console app on a SQLite read model with a recording publisher, and signed session
cookies for its users: the web layer tested without a broker or an identity provider."""

from __future__ import annotations

import json
import time
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import Engine

from sgbus.bus.calendar import default_calendar
from sgbus.bus.events import Event
from sgbus.bus.obligations.ingest import AuditRecord, Ingestor
from sgbus.bus.policy import load_policy
from sgbus.bus.store import make_engine, migrate
from sgbus.console.readmodel.project import project
from sgbus.console.readmodel.service import deadline_of
from sgbus.console.readmodel.write import Projected, write_batch
from sgbus.console.runtime import Console
from sgbus.console.web.app import create_app
from sgbus.console.web.config import ConsoleSettings
from sgbus.console.web.users import CSRF_KEY, LOGIN_KEY, SEEN_KEY, USER_KEY
from sgbus.consumers.watchdog.clock import FixedClock
from sgbus.producers.publisher import Receipt
from tests.watchdog_kit import city_catalogue

SECRET = "test-session-secret-" + "x" * 32
CSRF = "csrf-token-of-the-test-session"


@dataclass
class RecordingPublisher:
    """Keeps what the console would have published."""

    sent: list[tuple[str, Event]] = field(default_factory=list)
    down: bool = False

    def publish(self, party: str, event: Event) -> Receipt:
        if self.down:
            from sgbus.producers.publisher import PublishError

            raise PublishError("broker unreachable")
        self.sent.append((party, event))
        return Receipt(str(event.envelope.event_id), f"sg.{party}.outbox", 0, len(self.sent))

    def close(self) -> None:
        pass


def console_for(
    tmp_path: Path, now: datetime, city: str = "weihai", engine: Engine | None = None
) -> Console:
    """A console on a fresh SQLite store (or ``engine``, migrated), with the city's small
    test catalogue."""
    if engine is None:
        engine = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
        migrate(engine)
    return Console(
        engine=engine,
        catalogue=city_catalogue(city),
        policy=load_policy(city),
        calendar=default_calendar(),
        clock=FixedClock(now),
        publisher=RecordingPublisher(),
    )


def feed(console: Console, *records: AuditRecord, first_offset: int = 0) -> None:
    """Project audit records as the projector does."""
    ingestor = Ingestor(console.policy, console.calendar, console.catalogue)
    batch = []
    for i, record in enumerate(records):
        got = ingestor.ingest(record)
        projection = project(record, got.openings, record.event.envelope.occurred_at, b"raw")
        opened = (tuple(got.openings), tuple(got.answers), tuple(got.actions))
        batch.append(Projected(0, first_offset + i, projection, *opened))
    with console.engine.begin() as conn:
        write_batch(conn, "sgbus-console", "sg.audit", batch, {}, deadline_of(ingestor))


def client_for(console: Console) -> TestClient:
    """A test client of the console app (no login provider)."""
    web = ConsoleSettings(public_url="http://127.0.0.1:8080")
    return TestClient(create_app(console, web, SECRET, None), base_url="http://127.0.0.1:8080")


def session_cookie(
    username: str,
    party: str | None,
    roles: tuple[str, ...] = ("officer",),
    *,
    idle_s: int = 0,
    name: str = "测试员",
) -> str:
    """A session cookie as the console's SessionMiddleware signs it."""
    now = int(time.time())
    data: dict[str, Any] = {
        USER_KEY: {"username": username, "name": name, "party": party, "roles": list(roles)},
        SEEN_KEY: now - idle_s,
        LOGIN_KEY: now - idle_s,
        CSRF_KEY: CSRF,
    }
    payload = b64encode(json.dumps(data).encode())
    return TimestampSigner(SECRET).sign(payload).decode()


def log_in(client: TestClient, username: str, party: str | None, *roles: str, **kw: Any) -> None:
    """Give ``client`` a session of that user (replacing any cookie the app set before)."""
    client.cookies.clear()
    cookie = session_cookie(username, party, roles or ("officer",), **kw)
    client.cookies.set("sgbus_console", cookie, domain="127.0.0.1")
