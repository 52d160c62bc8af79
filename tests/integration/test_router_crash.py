"""SIGKILL the router in the middle of a stream: inboxes end exactly right (read_committed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from sgbus.bus import headers as h
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.producers.publisher import Publisher
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results

pytestmark = pytest.mark.integration
N = 10_000
MATTERS = ["WH-A1-001", "WH-A2-004", "WH-A3-001", "WH-A4-001", "WH-A2-001"]


def start_router(settings_env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    sgbus = Path(sys.executable).with_name("sgbus")
    return subprocess.Popen(
        [str(sgbus), "router", "run", "--instance", "crash-test"],
        env={**os.environ, **settings_env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_router_killed_mid_stream_delivers_everything_exactly_once(
    stack: object, tmp_path: Path
) -> None:
    settings = bus_settings(stack)
    env = {
        "SGBUS_BOOTSTRAP": settings.bootstrap_servers(),
        "SGBUS_SCHEMA_REGISTRY": settings.registry_url(),
    }
    events = results(N, seed=10, matters=MATTERS, base_serial=100_000)
    ids = {str(e.envelope.event_id) for e in events}

    def publish() -> None:
        with Publisher("weihai-approval", settings) as pub:
            for i in range(0, N, 500):
                pub.publish_many(events[i : i + 500])

    publisher = threading.Thread(target=publish)
    log = tmp_path / "router.log"
    router = start_router(env, log)
    publisher.start()
    kills = 0
    for pause in (4.0, 3.0, 5.0):  # kill while events are still flowing
        time.sleep(pause)
        router.send_signal(signal.SIGKILL)
        router.wait()
        kills += 1
        router = start_router(env, log)
    publisher.join()

    inboxes = [inbox_topic(p) for p in CATALOGUE.parties_by_id]
    want = Counter(
        (inbox_topic(p.id), str(e.envelope.event_id))
        for e in events
        for p in CATALOGUE.supervisors_of(e.matter.code, "371000")
    )
    deadline = time.monotonic() + 180
    while True:
        got = Counter(
            (r.topic, r.headers[h.EVENT_ID])
            for r in read_to_end(settings, inboxes)
            if r.headers.get(h.EVENT_ID) in ids
        )
        if sum(got.values()) >= sum(want.values()) or time.monotonic() > deadline:
            break
        time.sleep(2)
    router.send_signal(signal.SIGTERM)
    router.wait(30)
    assert kills == 3
    assert got == want, f"missing {len(want - got)}, extra {len(got - want)}"
