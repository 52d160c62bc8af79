"""Two watchdog instances on one PostgreSQL store, in one consumer group, do what one does.

Both read their share of the audit log, both sweep (each takes rows the other does not hold)
and both relay (each sends rows the other does not hold): the obligations and the outcome
events are those of a single instance, and no outcome is published twice.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, func, inspect, select

from sgbus.bus.calendar import parse_instant
from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import consumer_offsets, obligations, outbox
from sgbus.stack.testing import StackEndpoints
from tests.watchdog_bus import (
    Topics,
    create_topics,
    produce_audit,
    read_topic,
    settings_for,
    start_watchdog,
    watchdog_command,
)
from tests.watchdog_kit import catalogue_text
from tests.watchdog_load import LoadGenerator

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]  # about 75 s

EVENTS = 8_000
NOW = "2026-11-20T12:00:00+08:00"


def new_database(server: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def snapshot(engine: Engine) -> tuple[list[tuple[Any, ...]], set[str]]:
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(obligations).order_by(obligations.c.id))]
        ids = set(conn.execute(select(outbox.c.event_id)).scalars())
    return rows, ids


def settled(engine: Engine, now: str) -> bool:
    """Everything read, nothing due left unswept, every outcome sent."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("outbox"):
            return False  # the instances have not migrated the store yet
        read = conn.execute(select(func.sum(consumer_offsets.c.next_offset))).scalar() or 0
        due = conn.execute(
            select(func.count())
            .select_from(obligations)
            .where(obligations.c.next_check_at <= parse_instant(now))
        ).scalar_one()
        unsent = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        ).scalar_one()
    return bool(read >= EVENTS and due == 0 and unsent == 0)


def totals(log: Path) -> tuple[int, int]:
    """Audit records read and outcomes written by one instance, from its log."""
    read = outcomes = 0
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("event") == "watchdog step":
            read += entry["consumed"]
            outcomes += entry["outcomes"]
    return read, outcomes


def test_two_instances_equal_one(
    stack: StackEndpoints, postgres_server: str, tmp_path: Path
) -> None:
    serde = build_serde(stack.registry_config())
    settings = settings_for(stack, tmp_path)
    one, two = Topics.fresh("one"), Topics.fresh("two")
    two = Topics(one.audit, two.outbox, two.group)
    create_topics(stack.bootstrap, [one.audit, one.outbox, two.outbox])
    produce_audit(stack.bootstrap, serde, one.audit, LoadGenerator(seed=11).items(EVENTS))
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    common = (
        *("--now", NOW, "--policy", "anqiu", "--catalogue", str(cat)),
        # Small batches: the first instance must not have read everything when the second joins.
        *("--grace", "0", "--batch", "50", "--sweep-batch", "100"),
    )

    single_db = new_database(postgres_server)
    argv, env = watchdog_command(settings, one, single_db, *common)
    proc = start_watchdog([*argv, "--until-idle"], env, tmp_path / "single.log")
    assert proc.wait(timeout=300) == 0

    pair_db = new_database(postgres_server)
    engine = make_engine(pair_db)
    procs, logs = [], []
    for name in ("a", "b"):
        argv, env = watchdog_command(settings, two, pair_db, *common, "--instance-id", name)
        env["SGBUS_LOG_LEVEL"] = "INFO"
        logs.append(tmp_path / f"pair-{name}.log")
        procs.append(start_watchdog(argv, env, logs[-1]))
    deadline = time.monotonic() + 240
    time.sleep(2)
    while time.monotonic() < deadline and not settled(engine, NOW):
        assert all(p.poll() is None for p in procs), "an instance stopped"
        time.sleep(0.5)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert settled(engine, NOW), "the pair did not finish in time"

    single_rows, single_ids = snapshot(make_engine(single_db))
    pair_rows, pair_ids = snapshot(engine)
    assert len(single_rows) > 5_000 and len(single_ids) > 1_000
    assert pair_rows == single_rows
    assert pair_ids == single_ids
    published = read_topic(stack.bootstrap, serde, two.outbox)
    assert len(published) == len(single_ids)  # none twice
    assert {p.event_id for p in published} == single_ids
    work = [totals(log) for log in logs]
    assert sum(r for r, _ in work) == EVENTS
    assert all(r + o > 0 for r, o in work), f"one instance did nothing: {work}"
    print(f"\n(read, outcomes) per instance: {work}; single instance: {len(single_ids)} outcomes")
