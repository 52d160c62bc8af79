"""Where the local stack keeps its files, and which ports and heaps it uses.

Two folders are kept apart on purpose:

- ``home`` holds the downloaded distributions (``dist/``) and the provisioning logs. It is shared:
  the test suite's throw-away stack reuses the jars a developer already has.
- ``state_dir`` holds one running stack: broker data, registry database, pid files and logs,
  and the services' default stores (``stores/``, see :meth:`Settings.stores_dir`), whose
  offsets belong to this stack's topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sgbus.bus.settings import INSECURE_MARKER, Settings
from sgbus.stack.versions import kafka_version, registry_version

LOOPBACK = "127.0.0.1"
REGISTRY_API_PATH = "/apis/ccompat/v7"
REALM = "sgbus"
#: The audience every token of the realm carries, which the broker expects.
AUDIENCE = "sgbus"


@dataclass(frozen=True)
class StackConfig:
    """Everything needed to provision, start and find one local stack."""

    home: Path
    state_dir: Path
    kafka_port: int
    controller_port: int
    registry_port: int
    kafka_heap: str
    registry_heap: str
    internal_port: int = 19094
    identity_port: int = 18443
    identity_management_port: int = 18444
    identity_heap: str = "512m"
    token_lifespan_s: int = 300
    #: TLS on every listener, OAUTHBEARER, ACLs, an authenticating registry; False only for a
    #: development stack started with ``--insecure``.
    secured: bool = True
    #: Principals besides the broker that may do anything (a test session's own inspector).
    extra_super_users: tuple[str, ...] = field(default=())
    #: A throw-away test stack's sandbox: topics, groups and transactional ids with this
    #: prefix that the router and the watchdog may also use (a test's private audit log).
    sandbox_prefix: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, state_dir: Path | None = None) -> StackConfig:
        """Build the configuration of the developer's stack from ``SGBUS_*`` settings."""
        return cls(
            home=settings.home.expanduser(),
            state_dir=state_dir or settings.stack_state_dir(),
            kafka_port=settings.kafka_port,
            controller_port=settings.controller_port,
            registry_port=settings.registry_port,
            kafka_heap=settings.kafka_heap,
            registry_heap=settings.registry_heap,
            internal_port=settings.kafka_internal_port,
            identity_port=settings.identity_port,
            identity_management_port=settings.identity_management_port,
            identity_heap=settings.identity_heap,
            token_lifespan_s=settings.token_lifespan_s,
            secured=not settings.insecure,
        )

    def ports(self) -> dict[str, int]:
        """Each port with the setting that chooses it, for error messages."""
        ports = {
            "SGBUS_KAFKA_PORT": self.kafka_port,
            "SGBUS_CONTROLLER_PORT": self.controller_port,
            "SGBUS_REGISTRY_PORT": self.registry_port,
        }
        if self.secured:
            ports["SGBUS_KAFKA_INTERNAL_PORT"] = self.internal_port
            ports["SGBUS_IDENTITY_PORT"] = self.identity_port
            ports["SGBUS_IDENTITY_MANAGEMENT_PORT"] = self.identity_management_port
        return ports

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap address clients use."""
        return f"{LOOPBACK}:{self.kafka_port}"

    @property
    def internal_bootstrap(self) -> str:
        """The broker's own mutual-TLS listener (the super user's way in)."""
        return f"{LOOPBACK}:{self.internal_port}"

    @property
    def registry_url(self) -> str:
        """Confluent-compatible registry URL for ``SchemaRegistryClient``."""
        scheme = "https" if self.secured else "http"
        return f"{scheme}://{LOOPBACK}:{self.registry_port}{REGISTRY_API_PATH}"

    @property
    def identity_url(self) -> str:
        """Base URL of the identity provider."""
        return f"https://{LOOPBACK}:{self.identity_port}"

    @property
    def issuer(self) -> str:
        """The realm's issuer, as tokens name it."""
        return f"{self.identity_url}/realms/{REALM}"

    @property
    def token_url(self) -> str:
        """Where clients get tokens (client credentials grant)."""
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def identity_health_url(self) -> str:
        """The identity provider's readiness check (its management port)."""
        return f"https://{LOOPBACK}:{self.identity_management_port}/health/ready"

    @property
    def jwks_url(self) -> str:
        """The realm's signing keys, which the broker checks tokens against."""
        return f"{self.issuer}/protocol/openid-connect/certs"

    # Distributions (shared, under home)
    @property
    def kafka_dist(self) -> Path:
        """Folder whose ``libs/`` holds the Kafka jars."""
        return self.home / "dist" / f"kafka-{kafka_version()}"

    @property
    def registry_dist(self) -> Path:
        """Folder holding the unpacked registry application."""
        return self.home / "dist" / f"apicurio-registry-{registry_version()}"

    @property
    def keycloak_dist(self) -> Path:
        """Folder of the unpacked, built identity provider."""
        from sgbus.stack.provision_keycloak import keycloak_dist

        return keycloak_dist(self.home)

    @property
    def provision_logs(self) -> Path:
        """Where Maven's output goes when a download fails."""
        return self.home / "logs"

    # One running stack (under state_dir)
    @property
    def kafka_data(self) -> Path:
        """Kafka log directory (topics, metadata), formatted once."""
        return self.state_dir / "kafka" / "data"

    @property
    def kafka_conf(self) -> Path:
        """Folder of the rendered server.properties and log4j2.yaml."""
        return self.state_dir / "kafka" / "conf"

    @property
    def registry_data(self) -> Path:
        """Folder of the registry's H2 database file."""
        return self.state_dir / "registry" / "data"

    @property
    def pki_dir(self) -> Path:
        """The stack's CA, server and broker certificates (keys 0600)."""
        return self.state_dir / "pki"

    @property
    def identity_dir(self) -> Path:
        """The identity provider's admin password and the secrets the stack keeps (0600)."""
        return self.state_dir / "identity"

    @property
    def identity_data(self) -> Path:
        """The identity provider's database, transaction logs and temporary files."""
        return self.state_dir / "keycloak"

    @property
    def credentials_dir(self) -> Path:
        """One credentials file per principal (the same folder as
        :meth:`Settings.credentials_folder`)."""
        return self.state_dir / "credentials"

    @property
    def stores(self) -> Path:
        """The services' default SQLite stores (same folder as :meth:`Settings.stores_dir`)."""
        return self.state_dir / "stores"

    @property
    def logs(self) -> Path:
        """Logs of the running processes."""
        return self.state_dir / "logs"

    def pid_file(self, role: str) -> Path:
        """Pid file of ``role`` (``kafka`` or ``registry``)."""
        return self.state_dir / f"{role}.pid"

    def console_log(self, role: str) -> Path:
        """Standard output and error of ``role``'s java process."""
        return self.logs / f"{role}.out"


def mark_mode(cfg: StackConfig) -> None:
    """Leave the INSECURE marker in a plaintext stack's folder (clients read it and connect
    without TLS), and remove it from a secured one."""
    marker = cfg.state_dir / INSECURE_MARKER
    if cfg.secured:
        marker.unlink(missing_ok=True)
    else:
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            "This stack runs without TLS, authentication or ACLs (sgbus stack up --insecure).\n",
            encoding="utf-8",
        )
