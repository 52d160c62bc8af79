"""The realm on a real Keycloak: apply twice, tokens' claims, revoke, rotate, removal.

Keycloak is provisioned into the shared ``$SGBUS_HOME/dist`` (downloaded and built once) and
started once for this module on free ports, with its state in a temporary folder.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Producer

from sgbus.bus.settings import Settings
from sgbus.identity.admin_credentials import AdminCredentials, ensure_admin_credentials
from sgbus.identity.credentials import credentials_document
from sgbus.identity.keycloak_admin import (
    KeycloakAdmin,
    TokenRefused,
    keycloak_ready,
    tls_context,
    token_claims,
)
from sgbus.identity.realm import realm_spec
from sgbus.stack.keycloak_render import KeycloakLayout, keycloak_argv, keycloak_env
from sgbus.stack.pki import Pki, ensure_pki
from sgbus.stack.provision_keycloak import find_java21, keycloak_dist, provision_keycloak
from sgbus.stack.testing import free_ports

pytestmark = pytest.mark.integration

PARTIES = ["weihai-health", "weihai-approval", "weihai-market", "watchdog"]
LIFESPAN = 120
START_TIMEOUT_S = 180


@dataclass(frozen=True)
class RunningKeycloak:
    layout: KeycloakLayout
    pki: Pki
    admin: AdminCredentials
    state: Path


def _wait_ready(proc: subprocess.Popen[bytes], layout: KeycloakLayout, pki: Pki, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"Keycloak exited {proc.returncode}: {log.read_text()[-3000:]}")
        if keycloak_ready(layout.health_url, pki.ca_cert):
            return
        time.sleep(1)
    raise AssertionError(f"Keycloak not ready in {START_TIMEOUT_S} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def keycloak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKeycloak]:
    home = Settings().home.expanduser()
    java = find_java21()
    provision_keycloak(home, java)
    state = tmp_path_factory.mktemp("identity-stack")
    pki = ensure_pki(state / "pki")
    admin = ensure_admin_credentials(state / "identity")
    https_port, management_port = free_ports(2)
    layout = KeycloakLayout(keycloak_dist(home), state / "keycloak", https_port, management_port)
    for folder in layout.state_dirs():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    log = state / "keycloak.out"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            keycloak_argv(java, layout, pki, ["-Dsgbus.test=identity"]),
            env={**os.environ, **keycloak_env(java, admin)},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(proc, layout, pki, log)
        yield RunningKeycloak(layout, pki, admin, state)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def kc_admin(keycloak: RunningKeycloak) -> Iterator[KeycloakAdmin]:
    with KeycloakAdmin(keycloak.layout.base_url, keycloak.admin, keycloak.pki.ca_cert) as client:
        changes = client.apply_realm(realm_spec(PARTIES, access_token_lifespan=LIFESPAN))
        assert "create realm sgbus" in changes
        yield client


def test_second_apply_changes_nothing(kc_admin: KeycloakAdmin) -> None:
    assert kc_admin.apply_realm(realm_spec(PARTIES, access_token_lifespan=LIFESPAN)) == []


def test_party_token_names_the_party_and_the_audience(
    kc_admin: KeycloakAdmin, keycloak: RunningKeycloak
) -> None:
    token = kc_admin.token("weihai-health", kc_admin.client_secret("weihai-health"))
    claims = token_claims(token)
    assert claims["azp"] == "weihai-health"
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert "sgbus" in audience
    roles = claims["realm_access"]["roles"]
    assert "registry-reader" in roles and "registry-admin" not in roles
    assert claims["iss"] == keycloak.layout.issuer("sgbus")
    assert claims["exp"] - claims["iat"] == LIFESPAN


def test_only_the_registry_admin_client_has_registry_admin(kc_admin: KeycloakAdmin) -> None:
    token = kc_admin.token("sgbus-registry-admin", kc_admin.client_secret("sgbus-registry-admin"))
    roles = set(token_claims(token)["realm_access"]["roles"])
    assert {"registry-admin", "registry-reader"} <= roles
    router = kc_admin.token("sgbus-router", kc_admin.client_secret("sgbus-router"))
    assert "registry-admin" not in token_claims(router)["realm_access"]["roles"]


def test_revoked_client_gets_no_token_and_stays_revoked(kc_admin: KeycloakAdmin) -> None:
    secret = kc_admin.client_secret("weihai-approval")
    kc_admin.revoke("weihai-approval")
    try:
        with pytest.raises(TokenRefused):
            kc_admin.token("weihai-approval", secret)
        assert kc_admin.apply_realm(realm_spec(PARTIES, access_token_lifespan=LIFESPAN)) == []
        assert not kc_admin.is_enabled("weihai-approval")
    finally:
        kc_admin.restore("weihai-approval")
    assert token_claims(kc_admin.token("weihai-approval", secret))["azp"] == "weihai-approval"


def test_rotated_secret_replaces_the_old_one(kc_admin: KeycloakAdmin) -> None:
    old = kc_admin.client_secret("weihai-market")
    new = kc_admin.rotate_secret("weihai-market")
    assert new != old
    assert kc_admin.client_secret("weihai-market") == new
    with pytest.raises(TokenRefused):
        kc_admin.token("weihai-market", old)
    assert token_claims(kc_admin.token("weihai-market", new))["azp"] == "weihai-market"


def test_wrong_secret_is_refused(kc_admin: KeycloakAdmin) -> None:
    with pytest.raises(TokenRefused):
        kc_admin.token("weihai-health", "not-the-secret")


def test_party_removed_from_the_catalogue_loses_its_client(kc_admin: KeycloakAdmin) -> None:
    fewer = [p for p in PARTIES if p != "watchdog"]
    changes = kc_admin.apply_realm(realm_spec(fewer, access_token_lifespan=LIFESPAN))
    assert changes == ["delete client watchdog"]
    assert not kc_admin.is_enabled("watchdog")
    changes = kc_admin.apply_realm(realm_spec(PARTIES, access_token_lifespan=LIFESPAN))
    assert "create client watchdog" in changes


def test_changed_lifespan_updates_the_realm(kc_admin: KeycloakAdmin) -> None:
    assert kc_admin.apply_realm(realm_spec(PARTIES, access_token_lifespan=90)) == [
        "update realm sgbus"
    ]
    kc_admin.apply_realm(realm_spec(PARTIES, access_token_lifespan=LIFESPAN))


def test_admin_file_and_state_are_private(keycloak: RunningKeycloak) -> None:
    admin_file = keycloak.state / "identity" / "admin.json"
    assert stat.S_IMODE(admin_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((keycloak.state / "identity").stat().st_mode) == 0o700
    log = (keycloak.state / "keycloak.out").read_text()
    assert keycloak.admin.password not in log


def _token_errors(config: dict[str, str], wait_s: float = 4.0) -> list[str]:
    """Errors a producer with ``config`` reports while it fetches its first token."""
    errors: list[str] = []
    quiet = logging.getLogger("test.identity.quiet")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    producer = Producer({**config, "error_cb": lambda err: errors.append(str(err))}, logger=quiet)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        producer.poll(0.2)
    return [e for e in errors if "OAUTHBEARER" in e or "token" in e.lower()]


def _kafka_config(keycloak: RunningKeycloak, secret: str) -> dict[str, str]:
    doc = credentials_document(
        "weihai-health",
        secret,
        f"127.0.0.1:{free_ports(1)[0]}",  # no broker: only the token fetch is exercised
        keycloak.layout.token_url("sgbus"),
        "https://127.0.0.1:1/apis/ccompat/v7",
        keycloak.pki.ca_pem(),
        keycloak.pki.ca_cert,
    )
    return doc["kafka"]


def test_librdkafka_fetches_a_token_with_the_issued_credentials(
    kc_admin: KeycloakAdmin, keycloak: RunningKeycloak
) -> None:
    good = _kafka_config(keycloak, kc_admin.client_secret("weihai-health"))
    assert _token_errors(good) == []
    bad = _kafka_config(keycloak, "wrong")
    assert _token_errors(bad)


@pytest.mark.parametrize(
    ("redirect", "accepted"),
    [
        ("http://127.0.0.1:5555/auth/callback", True),
        ("http://127.0.0.1:61234/auth/callback", True),
        ("https://127.0.0.1:8443/auth/callback", False),  # HTTPS: configure the port
        ("http://127.0.0.1:5555/elsewhere", False),
        ("http://evil.example:5555/auth/callback", False),
    ],
)
def test_console_login_accepts_its_http_loopback_callback_on_any_port(
    keycloak: RunningKeycloak, kc_admin: KeycloakAdmin, redirect: str, accepted: bool
) -> None:
    params = {
        "client_id": "sgbus-console",
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": redirect,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    response = httpx.get(
        f"{keycloak.layout.issuer('sgbus')}/protocol/openid-connect/auth",
        params=params,
        verify=tls_context(keycloak.pki.ca_cert),
    )
    assert (response.status_code == 200) == accepted, response.text[:300]
