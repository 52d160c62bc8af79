"""The digest's settings (``SGBUS_DIGEST_…``): when, which store, and the two channels."""

from __future__ import annotations

import json
from datetime import time
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sgbus.bus.settings import Settings, SettingsError

PREFIX = "SGBUS_DIGEST_"
_DEFAULT_TEMPLATE = {"phone": "{phone}", "text": "{text}"}


class DigestSettings(BaseSettings):
    """When the digest goes out and how it is delivered."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    send_at: time = Field(
        default=time(8, 30), description="local time (Asia/Shanghai) of the digest, HH:MM"
    )
    store: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the console's store it reads (and keeps its sent-log"
        " in); unset: the console's store (SGBUS_CONSOLE_DB or its default)",
    )
    list_size: int = Field(
        default=10, ge=0, le=10, description="items listed in an officer's digest (at most 10)"
    )
    send_empty: bool = Field(
        default=False, description="send an officer's digest even when nothing is open"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: no e-mail")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = Field(default=None, description="SMTP login (with smtp_password)")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (secret)")
    smtp_from: str | None = Field(default=None, description="the From address of the e-mails")
    smtp_starttls: bool = Field(default=False, description="upgrade the connection (STARTTLS)")
    sms_url: str | None = Field(default=None, description="SMS gateway URL; unset: no SMS")
    sms_body: Literal["json", "form"] = Field(
        default="json", description="how the gateway wants the request body"
    )
    sms_template: dict[str, str] = Field(
        default_factory=lambda: dict(_DEFAULT_TEMPLATE),
        description="request fields, JSON; {phone} and {text} are replaced, e.g."
        ' {"mobile": "{phone}", "content": "{text}", "sign": "审管联动"}',
    )
    sms_headers: dict[str, str] = Field(
        default_factory=dict, description='extra request headers, JSON, e.g. {"X-Key": "…"}'
    )
    sms_retries: int = Field(
        default=3, ge=0, le=10, description="retries after a 5xx or a connection error"
    )
    sms_backoff_s: float = Field(default=1.0, gt=0, le=60, description="first retry delay")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="per request or session")
    breach_check_s: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="how often, on working days from the send time on, to look for new"
        " breaches to notify department heads (负责人) of; 0: never",
    )

    @field_validator("send_at", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                hours, minutes = value.split(":")
                return time(int(hours), int(minutes))
            except ValueError:
                raise ValueError("use HH:MM, e.g. 08:30") from None
        return value

    @field_validator("sms_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("sms_template")
    @classmethod
    def _placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        joined = json.dumps(value, ensure_ascii=False)
        missing = [p for p in ("{phone}", "{text}") if p not in joined]
        if missing:
            raise ValueError(f"the template must contain {' and '.join(missing)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.smtp_host and not self.smtp_from:
            raise ValueError("SGBUS_DIGEST_SMTP_FROM is needed with SGBUS_DIGEST_SMTP_HOST")
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ValueError("set SGBUS_DIGEST_SMTP_USER and SGBUS_DIGEST_SMTP_PASSWORD together")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """As the bus's settings: arguments, the environment, then ``SGBUS_ENV_FILE``."""
        return Settings.settings_customise_sources(
            settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )

    def store_url(self, settings: Settings) -> str:
        """The store to read: this setting, else the console's."""
        return self.store or settings.console_db_url()

    def channels(self) -> list[str]:
        """The configured channels, by name."""
        return [name for name, on in (("email", self.smtp_host), ("sms", self.sms_url)) if on]


def load_digest_settings() -> DigestSettings:
    """The validated digest settings; :class:`SettingsError` names each bad variable."""
    try:
        return DigestSettings()
    except ValidationError as exc:
        raise SettingsError(_described(exc)) from None


def _described(exc: ValidationError) -> str:
    """One line naming each bad variable (a rule across fields names its own variables)."""
    lines = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        name = PREFIX + "_".join(str(p) for p in err["loc"]).upper()
        lines.append(f"{name}: {message}" if err["loc"] else message)
    return "invalid settings: " + "; ".join(lines)
