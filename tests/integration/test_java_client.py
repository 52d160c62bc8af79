"""A Java system without sgbus on the bus: ``examples/java`` claims an inbox event.

The example is built with Maven from Maven Central artifacts only (Kafka's client and
Apicurio's Avro serdes), reads its party's credentials file, decodes the approval result in its
inbox through the schema registry and publishes a ``Claim`` in the bus's Confluent wire format;
the router must deliver that claim to the approval bureau.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sgbus.bus import headers as h
from sgbus.bus.claims import claim_event_id
from sgbus.bus.events import Claim, ClaimMode
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import Read, read_to_end
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.producers.publisher import Publisher
from tests.integration.bus_helpers import bus_settings, results, running_router

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
POM = ROOT / "examples" / "java" / "pom.xml"
JAR = ROOT / "examples" / "java" / "target" / "sgbus-inbox-claimer.jar"
SENDER, PARTY, MATTER = "weihai-approval", "weihai-drc", "WH-A1-001"
ALLOWED_URLS = "org.apache.kafka.sasl.oauthbearer.allowed.urls"


def _tool(name: str) -> str:
    """Path of ``name``; a missing tool skips the test on a workstation and fails it in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (the Java example needs a JDK 17 and Maven)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def claimer_jar() -> Path:
    """The example's fat jar, built once (Maven caches Central's artifacts in ~/.m2)."""
    mvn, _ = _tool("mvn"), _tool("java")
    build = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "package"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    assert JAR.is_file()
    return JAR


def wait_for(settings: Settings, topic: str, event_id: str, timeout: float = 60) -> list[Read]:
    """Records of ``topic`` with ``event_id``, as soon as there is one (or none at timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        got = [r for r in read_to_end(settings, [topic]) if r.headers.get(h.EVENT_ID) == event_id]
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_java_example_claims_an_inbox_event_and_the_claim_reaches_its_sender(
    stack: object, claimer_jar: Path
) -> None:
    if getattr(stack, "credentials", None) is None:
        pytest.skip("the Java example talks to a secured bus; this stack issues no credentials")
    settings = bus_settings(stack)
    credentials = stack.credentials / f"{PARTY}.json"  # type: ignore[attr-defined]
    (result,) = results(1, seed=71, matters=[MATTER], base_serial=71000)
    event_id = str(result.envelope.event_id)
    claim_id = str(claim_event_id(event_id, PARTY))
    with Publisher(SENDER, settings) as pub:
        pub.publish(result)
    with running_router(settings):
        assert wait_for(settings, inbox_topic(PARTY), event_id), "not routed to the department"
        token_url = stack.credentials_of(PARTY).kafka["sasl.oauthbearer.token.endpoint.url"]  # type: ignore[attr-defined]
        run = subprocess.run(
            [
                _tool("java"),
                f"-D{ALLOWED_URLS}={token_url}",
                "-jar",
                str(claimer_jar),
                "--credentials",
                str(credentials),
                "--event-id",
                event_id,
                "--timeout-s",
                "60",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert claim_id in run.stdout
        delivered = wait_for(settings, inbox_topic(SENDER), claim_id)
    # The claim's id is derived from the item and the party, so a department service of the
    # same party claiming on receipt elsewhere in the session yields the very same claim.
    assert delivered, "the router did not deliver the Java client's claim"
    record = delivered[-1]
    assert record.headers[h.EVENT_TYPE] == "Claim"
    assert record.key == result.envelope.case_key.encode()
    claim = serde_for(settings).decode(record.value, record.topic, record.partition, record.offset)
    assert isinstance(claim, Claim)
    assert str(claim.claimed_event_id) == event_id
    assert claim.claimed_event_type == "ApprovalResult"
    assert claim.claimed_by == PARTY and claim.mode is ClaimMode.INTEGRATED
    env = claim.envelope
    assert (env.sender, env.recipients) == (PARTY, [SENDER])
    assert (env.region, env.case_key) == (result.envelope.region, result.envelope.case_key)
    assert env.correlation_id == result.envelope.correlation_id
    assert str(env.causation_id) == event_id
