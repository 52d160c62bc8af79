"""The webhook sink's configuration."""

from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator

from sgbus.connectors.config import ConnectorConfig
from sgbus.connectors.webhook.signing import secret_key


class WebhookConfig(ConnectorConfig):
    """Where to POST the party's inbox items, and how to sign them."""

    url: AnyHttpUrl = Field(description="the receiver's endpoint (https in production)")
    secret: SecretStr = Field(
        description="Standard Webhooks secret, whsec_<base64>; or SGBUS_CONNECTOR_SECRET"
    )
    previous_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="secrets still signing during a rotation (each request carries every"
        " signature, so the receiver may switch to the new secret at its own pace)",
    )
    max_attempts: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="dead-letter an item after this many error answers (5xx, 429) for it;"
        " 0: keep retrying. A receiver that does not answer at all is always waited for",
    )
    bearer_token: SecretStr | None = Field(
        default=None, description="sent as 'Authorization: Bearer …' when the receiver wants one"
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="per request")
    ca_file: Path | None = Field(
        default=None, description="CA bundle to verify the receiver's TLS certificate"
    )

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        secret_key(value.get_secret_value())  # raises with the rule, never the value
        return value

    @field_validator("previous_secrets")
    @classmethod
    def _previous(cls, values: list[SecretStr]) -> list[SecretStr]:
        for value in values:
            secret_key(value.get_secret_value())
        return values
