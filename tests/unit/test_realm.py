"""The realm derived from the catalogue's party ids."""

from __future__ import annotations

import pytest

from sgbus.identity.realm import (
    AUDIENCE,
    REALM_ROLES,
    SERVICE_PRINCIPALS,
    audience_mapper,
    realm_spec,
)

PARTIES = ["weihai-health", "weihai-approval", "watchdog"]


def test_one_client_per_party_and_service_principal() -> None:
    spec = realm_spec(PARTIES)
    assert spec.name == "sgbus"
    assert set(spec.client_ids) == {*PARTIES, *SERVICE_PRINCIPALS, "sgbus-registry"}
    assert len(spec.client_ids) == len(set(spec.client_ids))


def test_party_clients_are_confidential_service_accounts_without_user_flows() -> None:
    rep = realm_spec(PARTIES).client("weihai-health").representation()
    assert rep["clientId"] == "weihai-health"
    assert rep["publicClient"] is False
    assert rep["clientAuthenticatorType"] == "client-secret"
    assert rep["serviceAccountsEnabled"] is True
    assert rep["standardFlowEnabled"] is False
    assert rep["directAccessGrantsEnabled"] is False
    assert rep["implicitFlowEnabled"] is False
    assert "enabled" not in rep  # a revoked client stays revoked


def test_audience_mapper_adds_sgbus_to_access_tokens() -> None:
    mapper = audience_mapper()
    assert mapper["protocolMapper"] == "oidc-audience-mapper"
    assert mapper["config"]["included.custom.audience"] == AUDIENCE == "sgbus"
    assert mapper["config"]["access.token.claim"] == "true"


def test_roles() -> None:
    spec = realm_spec(PARTIES)
    assert set(spec.roles) == {"officer", "oversight", "admin", "registry-admin", "registry-reader"}
    assert spec.roles == REALM_ROLES


def test_every_service_account_reads_the_registry_only_registry_admin_writes() -> None:
    spec = realm_spec(PARTIES)
    for client in spec.clients:
        if not client.service_account:
            continue
        assert "registry-reader" in client.service_account_roles, client.client_id
        admin = "registry-admin" in client.service_account_roles
        assert admin == (client.client_id == "sgbus-registry-admin"), client.client_id


def test_one_group_per_party_with_its_attribute() -> None:
    spec = realm_spec(PARTIES)
    assert sorted(g.name for g in spec.groups) == sorted(PARTIES)
    group = next(g for g in spec.groups if g.name == "weihai-health")
    assert group.representation() == {
        "name": "weihai-health",
        "attributes": {"party": ["weihai-health"]},
    }
    assert group.realm_roles == ("officer",)


def test_console_has_the_code_flow_with_pkce() -> None:
    rep = realm_spec(PARTIES).client("sgbus-console").representation()
    assert rep["standardFlowEnabled"] is True
    assert rep["attributes"]["pkce.code.challenge.method"] == "S256"
    assert rep["redirectUris"] == [
        "http://127.0.0.1/auth/callback",
        "http://127.0.0.1/auth/logged-out",
    ]
    assert rep["serviceAccountsEnabled"] is True


def test_console_redirect_uris_are_configurable() -> None:
    spec = realm_spec(PARTIES, console_redirect_uris=["https://bus.example/auth/callback"])
    assert spec.client("sgbus-console").redirect_uris == ("https://bus.example/auth/callback",)


def test_registry_client_gets_no_tokens_itself() -> None:
    rep = realm_spec(PARTIES).client("sgbus-registry").representation()
    assert rep["serviceAccountsEnabled"] is False
    assert rep["standardFlowEnabled"] is False
    assert rep["directAccessGrantsEnabled"] is False


def test_token_lifespan() -> None:
    assert realm_spec(PARTIES).realm_representation()["accessTokenLifespan"] == 300
    spec = realm_spec(PARTIES, access_token_lifespan=10)
    assert spec.realm_representation() == {
        "realm": "sgbus",
        "enabled": True,
        "accessTokenLifespan": 10,
    }


def test_party_named_like_a_service_is_refused() -> None:
    with pytest.raises(ValueError, match="sgbus-router"):
        realm_spec(["sgbus-router"])


def test_duplicates_collapse_and_order_is_stable() -> None:
    assert realm_spec(["b", "a", "a"]).client_ids == realm_spec(["a", "b"]).client_ids


def test_unknown_client_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        realm_spec(PARTIES).client("nobody")


def test_principals_are_the_service_accounts() -> None:
    spec = realm_spec(PARTIES)
    assert set(spec.principals()) == {*PARTIES, *SERVICE_PRINCIPALS}
    assert "sgbus-registry" not in spec.principals()


def test_superusers_may_write_the_registry() -> None:
    spec = realm_spec(PARTIES, superusers=["sgbus-inspector"])
    assert spec.client("sgbus-inspector").service_account_roles == (
        "registry-reader",
        "registry-admin",
    )
    assert "sgbus-inspector" in spec.principals()
