"""Where the local stack keeps its files, and which ports and heaps it uses.

Two folders are kept apart on purpose:

- ``home`` holds the downloaded distributions (``dist/``) and the provisioning logs. It is shared:
  the test suite's throw-away stack reuses the jars a developer already has.
- ``state_dir`` holds one running stack: broker data, registry database, pid files and logs,
  and the services' default stores (``stores/``, see :meth:`Settings.stores_dir`), whose
  offsets belong to this stack's topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sgbus.bus.settings import Settings
from sgbus.stack.versions import kafka_version, registry_version

LOOPBACK = "127.0.0.1"
REGISTRY_API_PATH = "/apis/ccompat/v7"


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
        )

    def ports(self) -> dict[str, int]:
        """Each port with the setting that chooses it, for error messages."""
        return {
            "SGBUS_KAFKA_PORT": self.kafka_port,
            "SGBUS_CONTROLLER_PORT": self.controller_port,
            "SGBUS_REGISTRY_PORT": self.registry_port,
        }

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap address clients use."""
        return f"{LOOPBACK}:{self.kafka_port}"

    @property
    def registry_url(self) -> str:
        """Confluent-compatible registry URL for ``SchemaRegistryClient``."""
        return f"http://{LOOPBACK}:{self.registry_port}{REGISTRY_API_PATH}"

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
