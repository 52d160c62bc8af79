"""SIGKILL the watchdog at random points of a 20,000-event run; nothing is lost or doubled.

One uninterrupted run and one run killed at least five times (restarted each time) read the
same audit log into stores of their own and publish to outbox topics of their own. At the end
both stores hold the same obligations, row for row, and both topics carry the same set of
outcome event ids. A killed relay may publish a row again (the broker had it, the store did
not yet say so): the copy carries the same event id, which is what consumers deduplicate on.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select

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

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # about 100 s

EVENTS = 20_000
NOW = "2026-11-20T12:00:00+08:00"


def stored(db_url: str) -> tuple[list[tuple[Any, ...]], set[str], int]:
    """All obligation rows (sorted), the outbox's event ids, and how many are unsent."""
    with make_engine(db_url).connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(obligations).order_by(obligations.c.id))]
        ids = set(conn.execute(select(outbox.c.event_id)).scalars())
        unsent = len(conn.execute(select(outbox.c.seq).where(outbox.c.sent_at.is_(None))).all())
    return rows, ids, unsent


@dataclass(frozen=True)
class Progress:
    """Where a run stands: audit records applied, outcomes written, outcomes sent."""

    read: int
    written: int
    sent: int

    def __str__(self) -> str:
        return f"read {self.read}, outcomes {self.written}, sent {self.sent}"


def progress(engine: Engine) -> Progress:
    with engine.connect() as conn:
        if not inspect(conn).has_table("outbox"):
            return Progress(0, 0, 0)
        read = sum(conn.execute(select(consumer_offsets.c.next_offset)).scalars())
        written = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        sent = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_not(None))
        ).scalar_one()
    return Progress(read, written, sent)


Trigger = Callable[[Progress], bool] | None
"""When to kill a life of the watchdog; None: at a random moment of its start-up."""


def kill_plan(rng: random.Random, total_outcomes: int) -> list[tuple[str, Trigger]]:
    """Random points in every phase: start-up, reading, sweeping, relaying."""
    reads = sorted(rng.uniform(0.05, 0.95) * EVENTS for _ in range(3))
    sweeps = sorted(rng.uniform(0.75, 0.97) * total_outcomes for _ in range(3))
    plan: list[tuple[str, Trigger]] = [("start-up", None)]
    plan += [(f"read >= {r:.0f}", partial(_read_at_least, r)) for r in reads]
    plan += [(f"outcomes >= {w:.0f}", partial(_written_at_least, w)) for w in sweeps]
    plan.append(("outcomes written, not all sent", _relay_behind))
    return plan


def _read_at_least(n: float, p: Progress) -> bool:
    return p.read >= n


def _written_at_least(n: float, p: Progress) -> bool:
    return p.written >= n


def _relay_behind(p: Progress) -> bool:
    return p.sent < p.written


def life(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    db: Engine,
    trigger: Trigger,
    rng: random.Random,
) -> Progress:
    """Start a watchdog and SIGKILL it when ``trigger`` holds (20 s at most); where it stood."""
    proc = start_watchdog(argv, env, log)
    started = time.monotonic()
    startup = rng.uniform(0.2, 1.5)
    while proc.poll() is None:
        elapsed = time.monotonic() - started
        if elapsed > 20:
            break
        if trigger is None:
            if elapsed > startup:
                break
        elif trigger(progress(db)):
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"watchdog ended on its own: {proc.returncode}"
    return progress(db)


def run_to_end(argv: list[str], env: dict[str, str], log: Path) -> float:
    started = time.monotonic()
    proc = start_watchdog([*argv, "--until-idle"], env, log)
    assert proc.wait(timeout=300) == 0, log.read_text(errors="replace")[-3000:]
    return time.monotonic() - started


def test_sigkill_at_random_points_changes_nothing(stack: StackEndpoints, tmp_path: Path) -> None:
    serde = build_serde(stack.registry_config())
    settings = settings_for(stack, tmp_path)
    items = LoadGenerator(seed=20261122).items(EVENTS)
    calm, killed = Topics.fresh("calm"), Topics.fresh("kill")
    # Both runs read one audit log; each has its own group, store and outbox topic.
    killed = Topics(calm.audit, killed.outbox, killed.group)
    create_topics(stack.bootstrap, [calm.audit, calm.outbox, killed.outbox])
    produce_audit(stack.bootstrap, serde, calm.audit, items)
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    common = (
        *("--now", NOW, "--policy", "anqiu", "--catalogue", str(cat)),
        *("--grace", "0", "--batch", "500", "--sweep-batch", "250"),
    )

    calm_db = f"sqlite:///{tmp_path / 'calm.db'}"
    argv, env = watchdog_command(settings, calm, calm_db, *common, "--instance-id", "calm")
    calm_seconds = run_to_end(argv, env, tmp_path / "calm.log")

    kill_db = f"sqlite:///{tmp_path / 'kill.db'}"
    argv, env = watchdog_command(settings, killed, kill_db, *common, "--instance-id", "kill")
    rng = random.Random(7)
    watch = make_engine(kill_db)
    stands = []
    for label, trigger in kill_plan(rng, len(stored(calm_db)[1])):
        stood = life(argv, env, tmp_path / "kill.log", watch, trigger, rng)
        stands.append(f"{label}: {stood}")
    run_to_end(argv, env, tmp_path / "kill.log")

    calm_rows, calm_ids, calm_unsent = stored(calm_db)
    kill_rows, kill_ids, kill_unsent = stored(kill_db)
    assert len(calm_rows) > 10_000 and len(calm_ids) > 3_000  # a run with real work in it
    assert kill_rows == calm_rows
    assert kill_ids == calm_ids
    assert calm_unsent == kill_unsent == 0
    calm_pub = read_topic(stack.bootstrap, serde, calm.outbox)
    kill_pub = read_topic(stack.bootstrap, serde, killed.outbox)
    assert (
        {p.event_id for p in calm_pub}
        == calm_ids
        == {str(p.event.envelope.event_id) for p in calm_pub}
    )
    assert {p.event_id for p in kill_pub} == calm_ids
    assert len(calm_pub) == len(calm_ids)  # the calm run published each once
    resent = len(kill_pub) - len(kill_ids)
    print(
        f"\n{EVENTS} events, {len(calm_rows)} obligations, {len(calm_ids)} outcomes;"
        f" calm run {calm_seconds:.1f} s; {resent} outcome(s) published again after a kill"
    )
    print("killed at: " + "\n           ".join(stands))
