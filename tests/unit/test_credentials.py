"""The credentials file: its two keys work as-is with confluent-kafka's clients."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from sgbus.identity.credentials import credentials_document, write_credentials
from sgbus.stack.pki import Pki, ensure_pki

TOKEN_URL = "https://127.0.0.1:1/realms/sgbus/protocol/openid-connect/token"
REGISTRY = "https://127.0.0.1:2/apis/ccompat/v7"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("creds") / "pki")


@pytest.fixture
def doc(pki: Pki) -> dict[str, dict[str, str]]:
    return credentials_document(
        "weihai-health",
        "s3cret",
        "127.0.0.1:9093",
        TOKEN_URL,
        REGISTRY,
        pki.ca_pem(),
        pki.ca_cert,
    )


def test_exactly_two_keys(doc: dict[str, dict[str, str]]) -> None:
    assert set(doc) == {"kafka", "schema_registry"}


def test_kafka_part(doc: dict[str, dict[str, str]], pki: Pki) -> None:
    kafka = doc["kafka"]
    assert kafka["bootstrap.servers"] == "127.0.0.1:9093"
    assert kafka["security.protocol"] == "SASL_SSL"
    assert kafka["sasl.mechanism"] == "OAUTHBEARER"
    assert kafka["sasl.oauthbearer.method"] == "oidc"
    assert kafka["sasl.oauthbearer.client.id"] == "weihai-health"
    assert kafka["sasl.oauthbearer.client.secret"] == "s3cret"
    assert kafka["sasl.oauthbearer.token.endpoint.url"] == TOKEN_URL
    assert kafka["ssl.ca.pem"] == kafka["https.ca.pem"] == pki.ca_pem()


def test_registry_part(doc: dict[str, dict[str, str]], pki: Pki) -> None:
    assert doc["schema_registry"] == {
        "url": REGISTRY,
        "basic.auth.user.info": "weihai-health:s3cret",
        "ssl.ca.location": str(pki.ca_cert),
    }


def test_librdkafka_accepts_the_kafka_part_as_is(doc: dict[str, dict[str, str]]) -> None:
    quiet = logging.getLogger("test.credentials.quiet")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    Producer(doc["kafka"], logger=quiet).flush(0)
    Consumer({**doc["kafka"], "group.id": "weihai-health.x"}, logger=quiet).close()


def test_registry_client_accepts_the_registry_part_as_is(doc: dict[str, dict[str, str]]) -> None:
    SchemaRegistryClient(doc["schema_registry"])


def test_written_file_is_0600_json(doc: dict[str, dict[str, str]], tmp_path: Path) -> None:
    path = tmp_path / "credentials" / "weihai-health.json"
    write_credentials(path, doc)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == doc
    assert [p.name for p in path.parent.iterdir()] == ["weihai-health.json"]


def test_rewriting_keeps_0600_even_over_a_looser_file(
    doc: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "c.json"
    path.write_text("{}")
    path.chmod(0o644)
    write_credentials(path, doc)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == doc
