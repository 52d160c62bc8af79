"""A broker and registry for test sessions: given by the environment, in Docker, or local.

Order of preference:

1. ``SGBUS_BOOTSTRAP`` (and ``SGBUS_SCHEMA_REGISTRY``) set: use them, start nothing.
2. A Docker engine answers: Kafka and Apicurio Registry containers via testcontainers.
3. Otherwise the local stack, in a throw-away state folder on free ports, so a developer's
   own stack is left alone; the jars come from the shared ``$SGBUS_HOME/dist`` cache. It is
   secured like any local stack (TLS, tokens, ACLs, an authenticating registry); the tests'
   own reading and checking is done as ``sgbus-test-inspector``, a super user that exists only
   in such a throw-away stack. Services under test act as their own principals.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgbus.bus.security import ClientCredentials, load_credentials
from sgbus.bus.settings import Settings
from sgbus.stack.config import LOOPBACK, REGISTRY_API_PATH, StackConfig
from sgbus.stack.local import LocalStack, StackInfo
from sgbus.stack.probes import set_global_compatibility
from sgbus.stack.versions import registry_version

DOCKER_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.1"
DOCKER_REGISTRY_IMAGE = "apicurio/apicurio-registry-mem:{version}"


#: Topics, groups and transactional ids of tests' own (``t-…``): a test's private audit log,
#: say, which the services under test may use in a throw-away stack besides the bus's.
SANDBOX_PREFIX = "t-"

#: The test session's own principal: a super user of the throw-away stack only.
TEST_INSPECTOR = "sgbus-test-inspector"


@dataclass(frozen=True)
class StackEndpoints:
    """Where tests connect. ``local`` is set when the session runs its own local stack;
    ``credentials`` is its folder of credentials files when it is secured."""

    bootstrap: str
    schema_registry: str | None
    source: str
    local: LocalStack | None = None
    credentials: Path | None = None

    def environment(self) -> dict[str, str]:
        """``SGBUS_*`` variables that make ``Settings()`` find this stack's credentials
        (acting as the test inspector unless a service picks its own principal)."""
        if self.source == "environment":
            return {}  # the variables that named the stack name its security too
        if self.credentials is None:
            return {"SGBUS_INSECURE": "1"}
        return {"SGBUS_CREDENTIALS_DIR": str(self.credentials), "SGBUS_PRINCIPAL": TEST_INSPECTOR}

    def inspector(self) -> ClientCredentials | None:
        """The test inspector's credentials (None on a plaintext stack)."""
        if self.credentials is None:
            return None
        return load_credentials(self.credentials / f"{TEST_INSPECTOR}.json")

    def kafka_config(self, **extra: Any) -> dict[str, Any]:
        """librdkafka settings for a test's own client: the inspector's security, then
        ``extra``."""
        creds = self.inspector()
        return {**(creds.kafka if creds else {}), "bootstrap.servers": self.bootstrap, **extra}

    def registry_config(self) -> dict[str, Any]:
        """``SchemaRegistryClient`` settings for a test's own client (the inspector)."""
        creds = self.inspector()
        return {**(creds.schema_registry if creds else {}), "url": self.schema_registry}

    def enroll(self, party: str) -> None:
        """Make ``party`` (one the catalogue does not list, e.g. a test's own) a principal of
        this stack, as ``stack up`` does for a catalogue that lists it: its client in the
        realm, its credentials file and its ACLs. Nothing to do on a plaintext stack."""
        if self.local is None or self.credentials is None:
            return
        from confluent_kafka.admin import AdminClient

        from sgbus.bus.acls import cluster
        from sgbus.bus.acls.desired import desired_acls
        from sgbus.identity.realm import party_client
        from sgbus.stack.secure import identity_admin, issue_credentials, superuser_kafka_config

        cfg = self.local.cfg
        with identity_admin(cfg) as admin:
            admin.ensure_client(party_client(party))
            secret = admin.client_secret(party)
        issue_credentials(cfg, party, secret, self.credentials / f"{party}.json")
        cluster.create(AdminClient(superuser_kafka_config(cfg)), desired_acls([party]))

    def credentials_of(self, principal: str) -> ClientCredentials:
        """A principal's credentials, as the stack issued them."""
        assert self.credentials is not None, "a plaintext stack has no credentials"
        return load_credentials(self.credentials / f"{principal}.json")


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


#: Access tokens of a test stack live this long, so that revocation is seen within a test.
TEST_TOKEN_LIFESPAN_S = 30


def throwaway_stack_config(home: Path, state_dir: Path, secured: bool = True) -> StackConfig:
    """A stack on free ports with its state in ``state_dir`` and jars from ``home``."""
    kafka, controller, registry, internal, identity, management = free_ports(6)
    return StackConfig(
        home=home,
        state_dir=state_dir,
        kafka_port=kafka,
        controller_port=controller,
        registry_port=registry,
        kafka_heap="512m",
        registry_heap="256m",
        internal_port=internal,
        identity_port=identity,
        identity_management_port=management,
        identity_heap="384m",
        token_lifespan_s=TEST_TOKEN_LIFESPAN_S,
        secured=secured,
        extra_super_users=(TEST_INSPECTOR,) if secured else (),
        sandbox_prefix=SANDBOX_PREFIX,
    )


def endpoints_of(stack: LocalStack, info: StackInfo, source: str) -> StackEndpoints:
    """Where tests reach a local stack that ``up`` answered with ``info``."""
    return StackEndpoints(info.bootstrap, info.schema_registry, source, stack, info.credentials)


@contextlib.contextmanager
def local_test_stack(state_dir: Path) -> Iterator[StackEndpoints]:
    """Start a throw-away local stack for the block and stop it afterwards."""
    secured = not Settings().insecure
    stack = LocalStack(throwaway_stack_config(Settings().home.expanduser(), state_dir, secured))
    info = stack.up()
    try:
        yield endpoints_of(stack, info, "local stack")
    finally:
        stack.down()


@contextlib.contextmanager
def docker_test_stack() -> Iterator[StackEndpoints]:
    """Kafka and the registry in containers, for machines with a Docker engine."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    from sgbus.bus.contracts.gate import register_all
    from sgbus.bus.contracts.schema_set import SchemaSet

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
        register_all(SchemaSet.load(), SchemaRegistryClient({"url": url}))
        # Plaintext: the containers are a quick path for machines with Docker, not a
        # replacement for the secured local stack.
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
