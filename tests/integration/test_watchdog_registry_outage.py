"""A watchdog cut off from the schema registry skips nothing, stores no offset past what it
could not read, stays up, and opens every obligation once the registry is back; cut off from
the registry or the broker, it still ends cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from sgbus.bus.calendar import default_calendar
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.parties import DEAD_LETTER_TOPIC
from sgbus.bus.policy import load_preset
from sgbus.bus.serde import build_serde
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.bus.store.offsets import load_offsets
from sgbus.bus.store.tables import obligations, outbox
from sgbus.stack.testing import StackEndpoints
from tests.fixtures.tcp_proxy import TcpProxy
from tests.watchdog_bus import (
    Topics,
    create_topics,
    end_offsets,
    produce_audit,
    settings_for,
    start_watchdog,
    watchdog_command,
)
from tests.watchdog_kit import Scene, audit, catalogue_text, city_catalogue

pytestmark = pytest.mark.integration


def wait_for(what: str, ok: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.mark.parametrize("worker", ["--decode-worker", "--no-decode-worker"])
def test_registry_outage_skips_nothing(stack: StackEndpoints, tmp_path: Path, worker: str) -> None:
    s = Scene("anqiu")
    topics = Topics.fresh("regdown")
    create_topics(stack.bootstrap, [topics.audit, topics.outbox])
    registry = urlsplit(stack.schema_registry)
    proxy = TcpProxy(registry.hostname or "127.0.0.1", registry.port or 80)
    settings = settings_for(stack, tmp_path)
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    argv, env = watchdog_command(
        settings, topics, db_url, "--policy", "anqiu", "--catalogue", str(cat), worker
    )
    env["SGBUS_SCHEMA_REGISTRY"] = f"{registry.scheme}://127.0.0.1:{proxy.port}{registry.path}"
    log = tmp_path / "watchdog.log"
    proc = start_watchdog(argv, env, log)
    engine = make_engine(db_url)

    def offsets() -> dict[int, int]:
        try:
            with engine.connect() as conn:
                stored = load_offsets(conn, topics.group)
        except Exception:  # not migrated yet
            return {}
        return {p: o for (t, p), o in stored.items() if t == topics.audit}

    try:
        # Running and at the end of the (empty) audit log before the registry goes away.
        wait_for("the watchdog to reach the end of the audit log", lambda: len(offsets()) == 3)
        assert set(offsets().values()) == {0}
        proxy.cut()
        now = datetime.now(UTC)
        events = [s.approval_result(f"regdown-{worker}-{i}", now) for i in range(30)]
        produce_audit(stack.bootstrap, build_serde(stack.registry_config()), topics.audit, events)
        ends = end_offsets(stack.bootstrap, topics.audit)
        assert sum(ends.values()) == 30
        time.sleep(12)  # many retries' worth (the backoff starts at 0.5 s)
        assert proc.poll() is None, log.read_text()
        assert set(offsets().values()) == {0}, "an offset moved past a record not read"
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(obligations)).scalar() == 0
            assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 0
        proxy.restore()
        wait_for("every record to be applied", lambda: offsets() == ends)
        assert proc.poll() is None
        ing = Ingestor(load_preset("anqiu"), default_calendar(), city_catalogue("anqiu"))
        want = {o.id for ev in events for o in ing.ingest(audit(ev)).openings}
        with engine.connect() as conn:
            got = [r.id for r in conn.execute(select(obligations.c.id))]
            dead = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.topic == DEAD_LETTER_TOPIC)
            ).scalar()
        assert sorted(got) == sorted(want) and len(want) >= 60
        assert dead == 0
        text = log.read_text()
        # One warning for the whole outage, not one per retry; the retries did not pass for
        # successes in between.
        assert text.count('"waiting for a transient fault to pass"') == 1, text
        assert '"source": "registry"' in text
        assert "Traceback" not in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        proxy.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        engine.dispose()


def test_sigterm_ends_a_watchdog_waiting_for_the_registry(
    stack: StackEndpoints, tmp_path: Path
) -> None:
    s = Scene("anqiu")
    topics = Topics.fresh("regterm")
    create_topics(stack.bootstrap, [topics.audit, topics.outbox])
    produce_audit(
        stack.bootstrap,
        build_serde(stack.registry_config()),
        topics.audit,
        [s.approval_result(f"regterm-{i}", datetime.now(UTC)) for i in range(5)],
    )
    proxy = TcpProxy("127.0.0.1", 9)
    proxy.cut()  # the registry is away throughout
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    argv, env = watchdog_command(
        settings_for(stack, tmp_path), topics, db_url, "--policy", "anqiu", "--catalogue", str(cat)
    )
    env["SGBUS_SCHEMA_REGISTRY"] = f"http://127.0.0.1:{proxy.port}"
    log = tmp_path / "watchdog.log"
    proc = start_watchdog(argv, env, log)
    try:
        wait_for("a transient fault", lambda: "waiting for a transient fault" in log.read_text())
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        assert proc.wait(20) == 0, log.read_text()
        assert time.monotonic() - began < 15
    finally:
        proxy.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_a_broker_that_cannot_be_reached_is_waited_for_and_sigterm_still_works(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    topics = Topics.fresh("nobroker")
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    settings = Settings(
        bootstrap=f"127.0.0.1:{port}", schema_registry="http://127.0.0.1:9", home=tmp_path
    )
    argv, env = watchdog_command(
        settings,
        topics,
        f"sqlite:///{tmp_path / 'watchdog.db'}",
        "--policy",
        "anqiu",
        "--catalogue",
        str(cat),
    )
    log = tmp_path / "watchdog.log"
    proc = start_watchdog(argv, env, log)
    try:
        wait_for(
            "the broker fault to be reported",
            lambda: '"source": "broker"' in log.read_text(),
            timeout_s=60,
        )
        time.sleep(3)
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
