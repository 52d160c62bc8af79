"""A broker and registry for test sessions: given by the environment, in Docker, or local.

Order of preference:

1. ``SGBUS_BOOTSTRAP`` (and ``SGBUS_SCHEMA_REGISTRY``) set: use them, start nothing.
2. A Docker engine answers: Kafka and Apicurio Registry containers via testcontainers.
3. Otherwise the local stack, in a throw-away state folder on free ports, so a developer's
   own stack is left alone; the jars come from the shared ``$SGBUS_HOME/dist`` cache.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgbus.bus.settings import Settings
from sgbus.stack.config import LOOPBACK, REGISTRY_API_PATH, StackConfig
from sgbus.stack.local import LocalStack
from sgbus.stack.probes import set_global_compatibility
from sgbus.stack.versions import registry_version

DOCKER_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.1"
DOCKER_REGISTRY_IMAGE = "apicurio/apicurio-registry-mem:{version}"


@dataclass(frozen=True)
class StackEndpoints:
    """Where tests connect. ``local`` is set when the session runs its own local stack."""

    bootstrap: str
    schema_registry: str | None
    source: str
    local: LocalStack | None = None


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def docker_engine_answers(timeout: float = 3.0) -> bool:
    """True if a Docker engine answers a ping; decided at once when no socket is configured."""
    host = os.environ.get("DOCKER_HOST")
    if not host and not Path("/var/run/docker.sock").exists():
        return False
    try:
        import docker

        client: Any = docker.from_env(timeout=int(max(timeout, 1)))
        return bool(client.ping())
    except Exception:
        return False


def throwaway_stack_config(home: Path, state_dir: Path) -> StackConfig:
    """A stack on free ports with its state in ``state_dir`` and jars from ``home``."""
    kafka, controller, registry = free_ports(3)
    return StackConfig(
        home=home,
        state_dir=state_dir,
        kafka_port=kafka,
        controller_port=controller,
        registry_port=registry,
        kafka_heap="512m",
        registry_heap="256m",
    )


@contextlib.contextmanager
def local_test_stack(state_dir: Path) -> Iterator[StackEndpoints]:
    """Start a throw-away local stack for the block and stop it afterwards."""
    stack = LocalStack(throwaway_stack_config(Settings().home.expanduser(), state_dir))
    info = stack.up()
    try:
        yield StackEndpoints(info.bootstrap, info.schema_registry, "local stack", stack)
    finally:
        stack.down()


@contextlib.contextmanager
def docker_test_stack() -> Iterator[StackEndpoints]:
    """Kafka and the registry in containers, for machines with a Docker engine."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    try:  # moved in testcontainers 4.1x; the old path still works but warns
        from testcontainers.community.kafka import KafkaContainer
    except ImportError:
        from testcontainers.kafka import KafkaContainer

    image = DOCKER_REGISTRY_IMAGE.format(version=registry_version())
    with (
        KafkaContainer(DOCKER_KAFKA_IMAGE).with_kraft() as kafka,
        DockerContainer(image).with_exposed_ports(8080) as registry,
    ):
        wait_for_logs(registry, "Listening on", timeout=180)
        host, port = registry.get_container_host_ip(), registry.get_exposed_port(8080)
        url = f"http://{host}:{port}{REGISTRY_API_PATH}"
        set_global_compatibility(url)
        yield StackEndpoints(kafka.get_bootstrap_server(), url, "testcontainers")


@contextlib.contextmanager
def session_stack(state_dir: Path) -> Iterator[StackEndpoints]:
    """The broker and registry of one test session, chosen as the module docstring says."""
    bootstrap = os.environ.get("SGBUS_BOOTSTRAP")
    if bootstrap:
        yield StackEndpoints(bootstrap, os.environ.get("SGBUS_SCHEMA_REGISTRY"), "environment")
    elif docker_engine_answers():
        with docker_test_stack() as endpoints:
            yield endpoints
    else:
        with local_test_stack(state_dir) as endpoints:
            yield endpoints
