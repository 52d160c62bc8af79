"""Helpers for integration tests of the bus on the session's real broker."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import ApprovalResult
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.topics import apply, desired_topics
from sgbus.cli.bus import all_parties
from sgbus.connectors.testing.process import ConnectorProcess
from sgbus.consumers.router.delivery_claims import ClaimModes
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.process import AssignmentDirectory
from sgbus.consumers.router.service import Router, RouterStats
from sgbus.demo.synthetic import approval_result
from sgbus.stack.testing import StackEndpoints

CATALOGUE = example_catalogue()


def bus_settings(stack: object) -> Settings:
    """Settings pointing at the session stack, with topics applied."""
    settings = Settings(bootstrap=stack.bootstrap, schema_registry=stack.schema_registry)  # type: ignore[attr-defined]
    apply(make_admin(settings), desired_topics(all_parties(CATALOGUE), settings))
    return settings


def results(n: int, seed: int, matters: list[str], base_serial: int) -> list[ApprovalResult]:
    """``n`` approval results spread over ``matters``, unique case keys from ``base_serial``."""
    rng = random.Random(seed)
    at = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
    return [
        approval_result(
            CATALOGUE.matter(matters[i % len(matters)]),
            base_serial + i,
            sender="weihai-approval",
            region="371000",
            decided_at=at,
            rng=rng,
        )
        for i in range(n)
    ]


@contextmanager
def running_router(
    settings: Settings,
    instance: str = "test",
    directory: AssignmentDirectory | None = None,
    modes: ClaimModes | None = None,
) -> Iterator[RouterStats]:
    """A router in a background thread for the block (on the example catalogue by default;
    ``modes`` says which regions claim on delivery, by default none)."""
    stop = threading.Event()
    router = Router(
        settings,
        serde_for(settings),
        directory or CatalogueDirectory(CATALOGUE),
        instance,
        stop=stop,
        modes=modes,
    )
    thread = threading.Thread(target=router.run, daemon=True)
    thread.start()
    try:
        yield router.stats
    finally:
        stop.set()
        thread.join(30)


def sql_connector(
    name: str, party: str, url: str, workdir: Path, stack: StackEndpoints
) -> ConnectorProcess:
    """A SQL-bridge connector ``name`` of ``party`` on the database at ``url``, started as its
    own process on the session stack, with its state in ``workdir/name``."""
    folder = workdir / name
    folder.mkdir()
    config = {
        "party": party,
        "url": url,
        "state_db": f"sqlite:///{folder / 'state.db'}",
        "poll_interval_s": 0.2,
    }
    env = {"SGBUS_BOOTSTRAP": stack.bootstrap, "SGBUS_SCHEMA_REGISTRY": stack.schema_registry or ""}
    process = ConnectorProcess(name, config, folder, {**stack.environment(), **env})
    process.start()
    return process
