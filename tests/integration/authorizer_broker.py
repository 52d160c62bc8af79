"""A throw-away single-node Kafka with the standard authorizer, for the ACL tests.

Two listeners: PLAINTEXT, where every client is ``User:ANONYMOUS``, the super user (so the test
manages ACLs and topics without credentials), and SASL_PLAINTEXT with PLAIN users named after
the bus's principals (so the grants can be tried as each principal). Nothing is granted
to anyone until the test applies the ACLs, and no ACL means no access.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgbus.bus.settings import Settings
from sgbus.stack.testing import free_ports
from sgbus.stack.versions import kafka_version

PASSWORD = "test-only"


@dataclass(frozen=True)
class AuthorizerBroker:
    """Where to connect: as the super user, or as a named principal."""

    plaintext: str
    sasl: str

    def super_user(self) -> dict[str, Any]:
        """Client settings of the anonymous super user."""
        return {"bootstrap.servers": self.plaintext}

    def as_user(self, name: str) -> dict[str, Any]:
        """Client settings of ``User:<name>``."""
        return {
            "bootstrap.servers": self.sasl,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": name,
            "sasl.password": PASSWORD,
        }


def _properties(data: Path, ports: list[int], users: Iterable[str]) -> str:
    plain, sasl, controller = ports
    jaas = " ".join(f'user_{u}="{PASSWORD}"' for u in users)
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller}",
        "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl},"
        f"CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
        "CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="admin" password="{PASSWORD}" {jaas};'
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
        "auto.create.topics.enable": "false",
        "log.dirs": str(data),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def _cluster_id() -> str:
    """16 random bytes, URL-safe base64 without padding, not starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not text.startswith("-"):
            return text


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"broker did not listen within {timeout_s} s")


@contextlib.contextmanager
def authorizer_broker(folder: Path, users: Iterable[str]) -> Iterator[AuthorizerBroker]:
    """Start the broker in ``folder`` for the block; stop it and delete its data afterwards."""
    java = shutil.which("java")
    libs = Settings().home.expanduser() / "dist" / f"kafka-{kafka_version()}" / "libs"
    if java is None or not libs.is_dir():
        import pytest

        pytest.skip("needs java and the cached Kafka jars (run `sgbus stack up` once)")
    ports = free_ports(3)
    conf, data, log = folder / "server.properties", folder / "data", folder / "kafka.out"
    conf.write_text(_properties(data, ports, users))
    jvm = [java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", f"{libs}/*"]
    subprocess.run(
        [*jvm, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(conf)],
        check=True,
        capture_output=True,
    )
    with log.open("wb") as out:
        proc = subprocess.Popen([*jvm, "kafka.Kafka", str(conf)], stdout=out, stderr=out)
    try:
        _wait_for_port(ports[0], proc, log, 60)
        yield AuthorizerBroker(f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)
