"""The registry goes away under a running router (a separate process): valid events wait,
they are not dead-lettered; the router stays up, unhealthy, and routes them once it is back."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from confluent_kafka import KafkaException, Producer

from sgbus.bus import headers as h
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic, outbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.security import kafka_client_config
from sgbus.bus.settings import Settings
from sgbus.producers.publisher import Publisher
from tests.fixtures.prometheus import free_port
from tests.fixtures.tcp_proxy import TcpProxy, tcp_proxy
from tests.integration.bus_helpers import CATALOGUE, bus_settings, results

pytestmark = pytest.mark.integration
MATTERS = ["WH-A1-001", "WH-A2-004", "WH-A3-001", "WH-A4-001"]
OUTAGE_S = 12


def healthy(metrics_port: int) -> float | None:
    """The router's ``sgbus_service_healthy`` gauge, None while the endpoint does not answer."""
    try:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    found = re.search(r'^sgbus_service_healthy\{service="router"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def wait_until(
    what: str, check: Callable[[], bool], timeout: float, router: subprocess.Popen[bytes]
) -> None:
    """Wait for ``check()``; fail if the router exits first. Topics just created may have no
    leader yet for a moment: such reads count as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except KafkaException:
            pass
        assert router.poll() is None, f"router exited with {router.returncode} waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def dead_letter_keys(settings: Settings) -> list[bytes | None]:
    return [r.key for r in read_to_end(settings, [DEAD_LETTER_TOPIC])]


def test_valid_events_wait_out_a_registry_outage_and_are_routed_after_it(
    stack: object, tmp_path: Path
) -> None:
    settings = bus_settings(stack)
    registry = urlsplit(settings.registry_url())
    metrics_port = free_port()
    log = tmp_path / "router.log"
    with tcp_proxy(registry.hostname or "127.0.0.1", registry.port or 80) as proxy:
        env = {
            **os.environ,
            "SGBUS_BOOTSTRAP": settings.bootstrap_servers(),
            "SGBUS_SCHEMA_REGISTRY": f"{registry.scheme}://127.0.0.1:{proxy.port}{registry.path}",
            "SGBUS_METRICS_PORT": str(metrics_port),
            "SGBUS_METRICS_HOST": "127.0.0.1",
        }
        sgbus = Path(sys.executable).with_name("sgbus")
        router = subprocess.Popen(
            [str(sgbus), "router", "run", "--instance", "registry-outage"],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            _run_outage(settings, proxy, router, metrics_port)
        except BaseException:
            print(log.read_text()[-5000:])  # shown with the failure
            raise
        finally:
            router.send_signal(signal.SIGTERM)
            try:
                code = router.wait(15)
            except subprocess.TimeoutExpired:
                router.kill()
                raise
    assert code == 0, log.read_text()[-3000:]
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    waits = [x for x in lines if x.get("event") == "waiting for a transient fault to pass"]
    registry_waits = [x for x in waits if x.get("source") == "registry"]
    # One warning when the outage starts (a second if its reason changes), not one per retry.
    assert 1 <= len(registry_waits) <= 2, registry_waits
    assert any(x.get("event") == "recovered" and x.get("source") == "registry" for x in lines)


def _run_outage(
    settings: Settings, proxy: TcpProxy, router: subprocess.Popen[bytes], metrics_port: int
) -> None:
    # Ready: a bad record comes out as a dead letter (this also proves the dead-letter path).
    probe_key = f"probe-{uuid.uuid4()}".encode()
    raw = Producer(kafka_client_config(settings))
    raw.produce(outbox_topic("weihai-approval"), key=probe_key, value=b"not avro")
    raw.flush(10)
    wait_until(
        "the probe's dead letter", lambda: probe_key in dead_letter_keys(settings), 90, router
    )
    assert healthy(metrics_port) == 1.0

    proxy.cut()
    events = results(40, seed=21, matters=MATTERS, base_serial=21_000)
    ids = {str(e.envelope.event_id) for e in events}
    keys: set[bytes | None] = {e.envelope.case_key.encode() for e in events}
    with Publisher("weihai-approval", settings) as pub:  # the test itself reaches the registry
        pub.publish_many(events)
    wait_until(
        "the router to report itself unhealthy", lambda: healthy(metrics_port) == 0.0, 30, router
    )
    time.sleep(OUTAGE_S)
    audited = [r for r in read_to_end(settings, [AUDIT_TOPIC]) if r.headers.get(h.EVENT_ID) in ids]
    assert audited == []  # nothing routed without the schema ...
    # ... and none of them dead-lettered (other tests' leftovers may be, by this router's group)
    assert not keys & set(dead_letter_keys(settings))
    assert router.poll() is None and healthy(metrics_port) == 0.0

    proxy.restore()

    def all_audited() -> bool:
        got = {r.headers.get(h.EVENT_ID) for r in read_to_end(settings, [AUDIT_TOPIC])}
        return ids <= got

    wait_until("the events to be routed", all_audited, 90, router)
    audit = [r for r in read_to_end(settings, [AUDIT_TOPIC]) if r.headers.get(h.EVENT_ID) in ids]
    assert Counter(r.headers[h.EVENT_ID] for r in audit) == Counter(ids)
    inboxes = [inbox_topic(p) for p in CATALOGUE.parties_by_id]
    delivered = [r for r in read_to_end(settings, inboxes) if r.headers.get(h.EVENT_ID) in ids]
    want = Counter(
        (inbox_topic(p.id), str(e.envelope.event_id))
        for e in events
        for p in CATALOGUE.supervisors_of(e.matter.code, "371000")
    )
    assert Counter((r.topic, r.headers[h.EVENT_ID]) for r in delivered) == want
    assert not keys & set(dead_letter_keys(settings))
    wait_until(
        "the router to report itself healthy", lambda: healthy(metrics_port) == 1.0, 30, router
    )
