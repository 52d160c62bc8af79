"""Process settings, read from ``SGBUS_*`` environment variables and, when asked, a file.

Nothing is read implicitly from the current folder: a settings file is used only when
``SGBUS_ENV_FILE`` names it (``KEY=value`` lines, ``SGBUS_`` prefix; the environment wins over
the file). Every service validates its settings at start-up so that a typo in a variable fails
loudly, naming the variable, instead of surfacing later as a connection error.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

#: A file in the stack's folder saying it was started without TLS and authentication.
INSECURE_MARKER = "INSECURE"

#: The variable that names a settings file; unset, no file is read.
ENV_FILE_VARIABLE = "SGBUS_ENV_FILE"

# Client settings the bus's delivery guarantees rest on; tuning may not change them.
GUARANTEED_CLIENT_KEYS = frozenset(
    {
        "acks",
        "bootstrap.servers",
        "enable.auto.commit",
        "enable.auto.offset.store",
        "enable.idempotence",
        "group.id",
        "isolation.level",
        "transactional.id",
    }
)


def _default_home() -> Path:
    return Path.home() / ".cache" / "sgbus"


class Settings(BaseSettings):
    """Settings shared by the CLI and every service."""

    model_config = SettingsConfigDict(env_prefix="SGBUS_", env_file=None, extra="ignore")

    home: Path = Field(default_factory=_default_home, description="cache folder: jars, data, logs")
    stack_dir: Path | None = Field(
        default=None, description="state of the local stack (data, pids, logs); unset: <home>/stack"
    )
    bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset means the local stack"
    )
    schema_registry: str | None = Field(
        default=None, description="Confluent-compatible registry URL; unset means the local stack"
    )
    kafka_port: int = Field(
        default=19092, ge=1, le=65535, description="the local stack's broker port (clients)"
    )
    controller_port: int = Field(
        default=19093, ge=1, le=65535, description="the local stack's KRaft controller port"
    )
    registry_port: int = Field(
        default=18081, ge=1, le=65535, description="the local stack's schema registry port"
    )
    kafka_internal_port: int = Field(
        default=19094, ge=1, le=65535, description="the broker's own TLS listener (mutual TLS)"
    )
    identity_port: int = Field(
        default=18443, ge=1, le=65535, description="the identity provider's HTTPS port"
    )
    identity_management_port: int = Field(
        default=18444, ge=1, le=65535, description="the identity provider's health port"
    )
    kafka_heap: str = Field(
        default="512m", pattern=r"^\d+[mMgG]$", description="the local broker's JVM heap"
    )
    registry_heap: str = Field(
        default="384m", pattern=r"^\d+[mMgG]$", description="the local registry's JVM heap"
    )
    identity_heap: str = Field(
        default="512m",
        pattern=r"^\d+[mMgG]$",
        description="the local identity provider's JVM heap",
    )
    # Identity: who this process is, and how it proves it (see sgbus.bus.security).
    insecure: bool = Field(
        default=False,
        description="plaintext, unauthenticated clients (a development stack started with"
        " --insecure); never in production",
    )
    credentials: Path | None = Field(
        default=None,
        description="this process's credentials file (`sgbus credentials issue` writes it);"
        " when set, every client uses it",
    )
    credentials_dir: Path | None = Field(
        default=None,
        description="folder of <principal>.json credentials; unset: <stack_dir>/credentials",
    )
    principal: str | None = Field(
        default=None,
        description="the principal a client acts as when the command does not choose one",
    )
    token_lifespan_s: int = Field(
        default=300,
        ge=30,
        le=86_400,
        description="lifetime of the identity provider's access tokens (the local stack's"
        " realm); a revoked client is refused within it",
    )
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 disables the endpoint")
    metrics_host: str = Field(
        default="127.0.0.1", description="address the metrics endpoint binds; 0.0.0.0 in containers"
    )
    # Topic layout (``sgbus topics apply``). Locally one broker; production raises these.
    topic_partitions: int = Field(
        default=3, ge=1, le=1000, description="partitions of each topic the bus creates"
    )
    topic_replication: int = Field(
        default=1, ge=1, le=16, description="replicas of each topic (3 in production)"
    )
    topic_min_isr: int = Field(
        default=1,
        ge=1,
        le=16,
        description="in-sync replicas a write needs (2 with 3 replicas in production)",
    )
    outbox_retention_days: float = Field(
        default=7, gt=0, description="how long outbox topics keep records (the router reads them)"
    )
    inbox_retention_days: float = Field(
        default=30,
        gt=0,
        description="how long inbox topics keep records (a connector's replay reads them)",
    )
    deadletter_retention_days: float = Field(
        default=14, gt=0, description="short: dead letters hold refused payloads"
    )
    deadletter_payload: Literal["encrypted", "drop"] = Field(
        default="encrypted",
        description="what a dead letter keeps of the refused payload (it may hold personal"
        " data): 'encrypted' (Fernet, with deadletter_key) or 'drop' (nothing; no replay)",
    )
    deadletter_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) dead-letter payloads are encrypted"
        " with; unset: <stack_dir>/identity/deadletter.key, created 0600 on first use",
    )
    audit_retention_days: float = Field(
        default=-1, description="-1 keeps the audit log forever: it is the evidence"
    )
    # Routing and deadlines.
    policy: str = Field(
        default="anqiu",
        description="policy preset name, path of a YAML policy, or a policy map (the shipped"
        " 'shandong' or a map YAML): a policy and catalogue per region code",
    )
    catalogue: Path | None = Field(
        default=None,
        description="matter catalogue (YAML or CSV); unset: the 威海 example. Not with a policy"
        " map, which names a catalogue per region",
    )
    calendar_overrides: list[Path] = Field(
        default_factory=list, description="operator calendar override files (YAML)"
    )
    # Stores: SQLAlchemy URLs. Unset: SQLite files under <stack_dir>/stores, so that each stack
    # (its topics and offsets) has its own stores.
    watchdog_db: str | None = Field(default=None, description="the watchdog's store")
    console_db: str | None = Field(
        default=None, description="the console's read model (SQLAlchemy URL); unset: SQLite"
    )
    gateway_db: str | None = Field(
        default=None,
        description="the HTTP gateway's read model and receipts (SQLAlchemy URL); unset: SQLite",
    )
    department_db: str | None = Field(
        default=None, description="a department's store; '{party}' is replaced by the party id"
    )
    watchdog_decode_worker: bool = Field(
        default=True,
        description="the watchdog decodes and interprets audit records in a second process",
    )
    clock_skew_tolerance_s: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="seconds an event's occurred_at may differ from the time its audit record"
        " was written before the watchdog times it at the latter (a sender's clock cannot"
        " post-date or backdate an answer beyond this)",
    )
    report_name_below: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="the 通报 names first the parties whose on-time rate is under this"
        " (青海 names units late more than half the time: 0.5)",
    )
    claim_on_receipt_parties: list[str] = Field(
        default_factory=list,
        description="parties whose department service claims on receipt (integrated systems);"
        ' JSON list, e.g. ["weihai-water"]',
    )
    auto_claim_parties: list[str] = Field(
        default_factory=list,
        description="deprecated name of claim_on_receipt_parties (removed in the next release)",
    )
    # librdkafka tuning, applied over the bus's defaults (see README, "Tuning Kafka clients").
    kafka_producer: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description='extra librdkafka producer settings, JSON, e.g. {"linger.ms": 20}',
    )
    kafka_consumer: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description='extra librdkafka consumer settings, JSON, e.g. {"fetch.min.bytes": 65536}',
    )
    log_level: str = Field(
        default="INFO",
        pattern=r"^(DEBUG|INFO|WARNING|ERROR)$",
        description="JSON log level on stderr",
    )

    @field_validator("kafka_producer", "kafka_consumer")
    @classmethod
    def _no_guarantee_overrides(
        cls, value: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        fixed = sorted(set(value) & GUARANTEED_CLIENT_KEYS)
        if fixed:
            raise ValueError(
                f"{', '.join(fixed)} cannot be changed: the bus's delivery guarantees rely on them"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the file ``SGBUS_ENV_FILE`` names (if any)."""
        named = os.environ.get(ENV_FILE_VARIABLE)
        if not named:
            return init_settings, env_settings
        path = Path(named).expanduser()
        if not path.is_file():
            raise SettingsError(f"{ENV_FILE_VARIABLE}: no settings file at {path}")
        file = DotEnvSettingsSource(settings_cls, env_file=path, env_file_encoding="utf-8")
        return init_settings, env_settings, file

    def stack_state_dir(self) -> Path:
        """The folder of this stack: broker data, pid files, logs and the default stores."""
        return (self.stack_dir or self.home / "stack").expanduser()

    def stores_dir(self) -> Path:
        """Where the default SQLite stores live: inside the stack's folder, because their
        offsets belong to that stack's topics."""
        return self.stack_state_dir() / "stores"

    def watchdog_db_url(self) -> str:
        """The watchdog's store URL."""
        return self.watchdog_db or f"sqlite:///{self.stores_dir() / 'watchdog.db'}"

    def console_db_url(self) -> str:
        """The console's read-model store URL."""
        return self.console_db or f"sqlite:///{self.stores_dir() / 'console.db'}"

    def gateway_db_url(self) -> str:
        """The HTTP gateway's store URL."""
        return self.gateway_db or f"sqlite:///{self.stores_dir() / 'gateway.db'}"

    def claim_on_receipt_party_ids(self) -> list[str]:
        """Parties that claim on receipt, including those under the deprecated name (with a
        warning: ``SGBUS_AUTO_CLAIM_PARTIES`` goes away in the next release)."""
        if self.auto_claim_parties:
            import structlog

            structlog.get_logger("sgbus.bus.settings").warning(
                "deprecated setting, use SGBUS_CLAIM_ON_RECEIPT_PARTIES",
                setting="SGBUS_AUTO_CLAIM_PARTIES",
            )
        return [*self.claim_on_receipt_parties, *self.auto_claim_parties]

    def department_db_url(self, party: str) -> str:
        """The store URL of ``party``'s department service."""
        if self.department_db:
            return self.department_db.replace("{party}", party)
        return f"sqlite:///{self.stores_dir() / f'{party}.db'}"

    def bootstrap_servers(self) -> str:
        """The configured brokers, or the local stack's listener."""
        return self.bootstrap or f"127.0.0.1:{self.kafka_port}"

    def registry_url(self) -> str:
        """The configured registry, or the local stack's (HTTPS unless the stack is plaintext)."""
        if self.schema_registry:
            return self.schema_registry
        scheme = "http" if self.plaintext() else "https"
        return f"{scheme}://127.0.0.1:{self.registry_port}/apis/ccompat/v7"

    def plaintext(self) -> bool:
        """True when clients connect without TLS and credentials: asked for with
        ``SGBUS_INSECURE``, or the local stack was started ``--insecure`` (its marker file)
        and no credentials file is configured."""
        if self.insecure:
            return True
        marker = self.stack_state_dir() / INSECURE_MARKER
        return self.credentials is None and marker.is_file()

    def acting_as(self, principal: str) -> Settings:
        """These settings for a client that acts as ``principal`` (a service's own identity);
        an explicit ``SGBUS_CREDENTIALS`` file still wins."""
        return self.model_copy(update={"principal": principal})

    def credentials_folder(self) -> Path:
        """Where ``<principal>.json`` credentials are looked up."""
        return (self.credentials_dir or self.stack_state_dir() / "credentials").expanduser()


class SettingsError(Exception):
    """Settings failed validation; the message lists each bad variable."""


def format_validation_error(exc: ValidationError, prefix: str = "SGBUS_") -> str:
    """Render a pydantic error as one line naming each bad variable, without echoing values."""
    lines = []
    for err in exc.errors():
        name = prefix + "_".join(str(p) for p in err["loc"]).upper()
        lines.append(f"{name}: {err['msg']}")
    return "invalid settings: " + "; ".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Load and validate settings once per process; :class:`SettingsError` if they are bad."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(format_validation_error(exc)) from None
