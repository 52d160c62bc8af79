"""The credentials file a principal is handed (``sgbus credentials issue``).

Two keys, each usable as-is: ``"kafka"`` by ``confluent_kafka.Producer(...)`` (and Consumer,
AdminClient), ``"schema_registry"`` by ``SchemaRegistryClient(...)``. Kafka authenticates with
SASL/OAUTHBEARER: librdkafka fetches tokens from the identity provider with the client
credentials grant. The registry takes the same client id and secret as HTTP basic credentials
and exchanges them for a token itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sgbus.identity.files import write_json_private

KAFKA = "kafka"
SCHEMA_REGISTRY = "schema_registry"


def kafka_client_config(
    principal: str, secret: str, bootstrap: str, token_url: str, ca_pem: str
) -> dict[str, str]:
    """librdkafka settings: TLS with the stack CA inline, OAUTHBEARER tokens by OIDC."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.client.id": principal,
        "sasl.oauthbearer.client.secret": secret,
        "sasl.oauthbearer.token.endpoint.url": token_url,
        "ssl.ca.pem": ca_pem,
        "https.ca.pem": ca_pem,
    }


def registry_client_config(
    principal: str, secret: str, registry_url: str, ca_path: Path
) -> dict[str, str]:
    """``SchemaRegistryClient`` settings: basic client credentials over TLS with the stack CA.

    (The Python client takes ``basic.auth.user.info`` alone and refuses the Java client's
    ``basic.auth.credentials.source``.)
    """
    return {
        "url": registry_url,
        "basic.auth.user.info": f"{principal}:{secret}",
        "ssl.ca.location": str(ca_path),
    }


def credentials_document(
    principal: str,
    secret: str,
    bootstrap: str,
    token_url: str,
    registry_url: str,
    ca_pem: str,
    ca_path: Path,
) -> dict[str, dict[str, str]]:
    """The whole credentials file of ``principal``: exactly the keys ``kafka`` and
    ``schema_registry``."""
    return {
        KAFKA: kafka_client_config(principal, secret, bootstrap, token_url, ca_pem),
        SCHEMA_REGISTRY: registry_client_config(principal, secret, registry_url, ca_path),
    }


def write_credentials(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` as JSON to ``path`` with mode 0600, atomically."""
    write_json_private(path, doc)
