"""The console's web settings (``SGBUS_CONSOLE_…``) and its login client, from the console's
own credentials file: the identity provider, its CA and the client secret are the same ones
the console's Kafka client uses."""

from __future__ import annotations

import json
import secrets
import ssl
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sgbus.bus import principals
from sgbus.bus.security import credentials_for
from sgbus.bus.settings import Settings
from sgbus.identity.files import write_json_private

_TOKEN_PATH = "/protocol/openid-connect/token"


class ConsoleSettings(BaseSettings):
    """How the console serves and keeps sessions."""

    model_config = SettingsConfigDict(env_prefix="SGBUS_CONSOLE_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address the console binds")
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = Field(
        default=None,
        description="the URL users open (behind a TLS proxy: https://…); unset:"
        " http://<host>:<port>",
    )
    idle_timeout_s: int = Field(default=900, ge=1, le=86_400, description="idle session end")
    session_max_s: int = Field(default=8 * 3600, ge=300, le=7 * 86_400)
    session_secret_file: Path | None = Field(
        default=None,
        description='JSON file {"key": …} holding the key that signs session cookies; unset:'
        " <stack folder>/console/session-key.json, generated once",
    )

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    def base_url(self) -> str:
        """Where users reach the console."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` unless the console is plain HTTP on this machine only (a
        browser sends no Secure cookie over http, and loopback traffic never leaves it)."""
        parts = urlsplit(self.base_url())
        return parts.scheme == "https" or not _is_loopback(parts.hostname or "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class LoginClient:
    """The OpenID Connect client the console logs users in with."""

    issuer: str
    client_id: str
    client_secret: str
    ca_pem: str | None

    def tls(self) -> ssl.SSLContext:
        """TLS verification of the identity provider (its CA when it has its own)."""
        if self.ca_pem:
            return ssl.create_default_context(cadata=self.ca_pem)
        return ssl.create_default_context()


class LoginNotConfigured(ValueError):
    """The console has no login client: the message says what is missing."""


def login_client(settings: Settings, principal: str = principals.CONSOLE) -> LoginClient:
    """A front end's client at the identity provider, read from its credentials
    (``sgbus-console.json``, ``sgbus-gateway.json``)."""
    creds = credentials_for(settings.acting_as(principal))
    if creds is None:
        raise LoginNotConfigured(
            f"{principal} needs the identity provider: start the stack secured (not --insecure)"
        )
    kafka = creds.kafka
    token_url = str(kafka.get("sasl.oauthbearer.token.endpoint.url", ""))
    secret = kafka.get("sasl.oauthbearer.client.secret")
    if not token_url.endswith(_TOKEN_PATH) or not secret:
        raise LoginNotConfigured(f"{creds.source}: no OIDC token endpoint or client secret")
    return LoginClient(
        issuer=token_url[: -len(_TOKEN_PATH)],
        client_id=str(kafka.get("sasl.oauthbearer.client.id", principals.CONSOLE)),
        client_secret=str(secret),
        ca_pem=kafka.get("https.ca.pem") or kafka.get("ssl.ca.pem"),
    )


def session_secret(settings: Settings, console: ConsoleSettings) -> str:
    """The key signing session cookies, from a JSON file ``{"key": "…"}``; generated there
    (mode 0600) the first time, so sessions survive a restart of the console."""
    # Not among the credentials files: that folder holds one principal's credentials per file.
    default = settings.stack_state_dir() / "console" / "session-key.json"
    path = console.session_secret_file or default
    if not path.is_file():
        write_json_private(path, {"key": secrets.token_urlsafe(48)})
    try:
        key = json.loads(path.read_text(encoding="utf-8"))["key"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(f'{path}: expected a JSON object {{"key": "…"}}') from None
    if not isinstance(key, str) or len(key) < 32:
        raise ValueError(f"{path}: the session key must have at least 32 characters")
    return key
