"""How every client proves who it is: one place for producers, consumers, admin and registry
clients.

A process acts as one *principal* (a client of the identity provider: a party id, or a
service such as ``sgbus-router``). Its credentials are a JSON file of two dicts, written by
``sgbus credentials issue``:

- ``"kafka"``: librdkafka settings (``bootstrap.servers``, SASL/OAUTHBEARER over TLS);
- ``"schema_registry"``: ``SchemaRegistryClient`` settings (``url``, client credentials, CA).

The file is found, in this order: ``SGBUS_CREDENTIALS`` (the process's own file, as a
department's system or a production service is configured); else ``<principal>.json`` in
``SGBUS_CREDENTIALS_DIR`` (default ``<stack_dir>/credentials``, where the local stack keeps one
per principal). A plaintext stack (``--insecure``) needs none and is announced loudly.
"""

from __future__ import annotations

import json
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from sgbus.bus.settings import Settings

log = structlog.get_logger("sgbus.bus.security")

KAFKA_KEY = "kafka"
REGISTRY_KEY = "schema_registry"


class CredentialsError(Exception):
    """No usable credentials for a principal; the message says what to do."""


@dataclass(frozen=True)
class ClientCredentials:
    """One principal's client settings, as read from its credentials file."""

    kafka: dict[str, Any]
    schema_registry: dict[str, Any]
    source: Path


_cache: dict[tuple[Path, float], ClientCredentials] = {}
_cache_lock = threading.Lock()
_warned_plaintext = threading.Event()


def load_credentials(path: Path) -> ClientCredentials:
    """Read and check a credentials file; :class:`CredentialsError` names what is wrong."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise CredentialsError(f"no credentials file at {path}") from None
    with _cache_lock:
        cached = _cache.get((path, mtime))
        if cached is not None:
            return cached
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"credentials file {path} is not readable JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CredentialsError(f"credentials file {path} must hold a JSON object")
    for key in (KAFKA_KEY, REGISTRY_KEY):
        if not isinstance(doc.get(key), dict):
            raise CredentialsError(f"credentials file {path} has no {key!r} object")
    _warn_if_readable(path)
    creds = ClientCredentials(dict(doc[KAFKA_KEY]), dict(doc[REGISTRY_KEY]), path)
    with _cache_lock:
        _cache[(path, mtime)] = creds
    return creds


def _warn_if_readable(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("credentials file readable by others; chmod 600 it", file=str(path))


def credentials_for(settings: Settings) -> ClientCredentials | None:
    """The credentials of the principal ``settings`` act as, or None on a plaintext stack."""
    if settings.credentials is not None:
        return load_credentials(settings.credentials.expanduser())
    if settings.plaintext():
        announce_plaintext()
        return None
    principal = settings.principal
    if not principal:
        raise CredentialsError(
            "no credentials: set SGBUS_CREDENTIALS to the file `sgbus credentials issue`"
            " wrote for this system (or SGBUS_PRINCIPAL to pick one of the local stack's)"
        )
    path = settings.credentials_folder() / f"{principal}.json"
    if not path.is_file():
        raise CredentialsError(
            f"no credentials for {principal!r} at {path}: start the local stack"
            " (`sgbus stack up`), or set SGBUS_CREDENTIALS to this system's credentials file"
        )
    return load_credentials(path)


def announce_plaintext() -> None:
    """Say once per process, loudly, that nothing is authenticated or encrypted."""
    if not _warned_plaintext.is_set():
        _warned_plaintext.set()
        log.warning(
            "INSECURE: plaintext Kafka and registry, no authentication, no ACLs;"
            " for local development only"
        )


def kafka_client_config(settings: Settings) -> dict[str, Any]:
    """``bootstrap.servers`` and the security settings of a Kafka client (any kind)."""
    creds = credentials_for(settings)
    conf = dict(creds.kafka) if creds else {}
    if settings.bootstrap or "bootstrap.servers" not in conf:
        conf["bootstrap.servers"] = settings.bootstrap_servers()
    return conf


def registry_client_config(settings: Settings) -> dict[str, Any]:
    """``SchemaRegistryClient`` settings: the registry URL and, when secured, its credentials."""
    creds = credentials_for(settings)
    conf = dict(creds.schema_registry) if creds else {}
    if settings.schema_registry or "url" not in conf:
        conf["url"] = settings.registry_url()
    return conf


def access_token(creds: ClientCredentials, timeout_s: float = 10.0) -> str:
    """An access token for the principal of ``creds`` by the client-credentials grant (what a
    party's system sends the HTTP gateway as ``Authorization: Bearer …``)."""
    import ssl

    import httpx

    kafka = creds.kafka
    ca = kafka.get("https.ca.pem") or kafka.get("ssl.ca.pem")
    tls = ssl.create_default_context(cadata=ca) if ca else ssl.create_default_context()
    got = httpx.post(
        kafka["sasl.oauthbearer.token.endpoint.url"],
        data={
            "grant_type": "client_credentials",
            "client_id": kafka["sasl.oauthbearer.client.id"],
            "client_secret": kafka["sasl.oauthbearer.client.secret"],
        },
        verify=tls,
        timeout=timeout_s,
    )
    got.raise_for_status()
    return str(got.json()["access_token"])
