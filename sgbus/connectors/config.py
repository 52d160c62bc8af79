"""The configuration every connector shares, and loading a connector's YAML file.

Each connector declares a pydantic model that extends :class:`ConnectorConfig`. Its file is
validated at start: a problem names the file, the line and the field, and never echoes the
value (a file may hold a secret or a contact). Secrets are ``SecretStr`` fields, shown as
``**********`` in logs and in ``sgbus connector list``; a secret may also come from the
environment as ``SGBUS_CONNECTOR_<FIELD>`` so that it stays out of the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from sgbus.bus.parties import check_party_id
from sgbus.bus.yamldoc import SourceError, load_yaml, validate_mapping

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
ENV_PREFIX = "SGBUS_CONNECTOR_"
ConfigT = TypeVar("ConfigT", bound="ConnectorConfig")


class ConnectorConfig(BaseModel):
    """Settings of every connector instance; a connector's model adds its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    party: str = Field(description="party id the connector acts for (its credentials)")
    name: str | None = Field(
        default=None,
        description="instance name (consumer group, state, metrics); default: the connector's",
        pattern=NAME_PATTERN,
    )
    batch_size: int = Field(default=100, ge=1, le=5000, description="records per batch")
    errors_tolerance: Literal["all", "none"] = Field(
        default="all",
        description="all: dead-letter a refused record and go on; none: stop the connector",
    )
    retry_backoff_s: float = Field(
        default=0.5, gt=0, le=60, description="first wait after a transient fault (doubles)"
    )
    max_backoff_s: float = Field(default=10.0, gt=0, le=600, description="longest wait")
    poll_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="a source's wait when it had nothing new"
    )
    state_db: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the connector's state; default SQLite in the stores folder",
    )
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="/metrics port; default SGBUS_METRICS_PORT"
    )

    @field_validator("party")
    @classmethod
    def _party(cls, value: str) -> str:
        return check_party_id(value)


def load_config(path: Path, model: type[ConfigT], connector: str) -> ConfigT:
    """``path`` validated as ``model``; secrets missing from the file are taken from
    ``SGBUS_CONNECTOR_<FIELD>``. Raises :class:`SourceError` naming the file, line and field."""
    if not path.is_file():
        raise SourceError(str(path), None, "connector configuration file not found")
    doc = load_yaml(path)
    if isinstance(doc.data, dict):
        doc.data = {**secrets_from_env(model, doc.data), **doc.data}
    return validate_mapping(doc, model, f"{connector} connector configuration")


def secrets_from_env(model: type[BaseModel], given: dict[str, Any]) -> dict[str, str]:
    """Secret fields not in ``given`` whose ``SGBUS_CONNECTOR_<FIELD>`` variable is set."""
    found = {}
    for name, field in model.model_fields.items():
        if name in given or not _is_secret(field.annotation):
            continue
        value = os.environ.get(ENV_PREFIX + name.upper())
        if value:
            found[name] = value
    return found


def _is_secret(annotation: object) -> bool:
    return annotation is SecretStr or "SecretStr" in repr(annotation)


def instance_name(config: ConnectorConfig, connector: str) -> str:
    """The instance's name: configured, else the connector's own."""
    return config.name or connector


def safe_dump(config: BaseModel) -> dict[str, Any]:
    """The configuration as JSON data with every secret masked, for logs and listings."""
    return config.model_dump(mode="json")


def check_name(name: str) -> str:
    """``name`` if it is a valid connector name, else a :class:`ValueError` saying the rule."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(
            f"connector name {name!r}: lower-case letters, digits and '-', starting with a letter"
        )
    return name
