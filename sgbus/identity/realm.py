"""The identity provider's realm, derived from the catalogue's party ids (pure, no I/O).

Every Kafka and registry client is a Keycloak confidential client with a service account; its
clientId is its Kafka principal name (the broker reads it from the token's ``azp``). Each client
adds the audience ``sgbus`` to its access tokens. :meth:`ClientSpec.representation` and friends
give the Keycloak admin REST API representations that :mod:`sgbus.identity.keycloak_admin`
applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

REALM = "sgbus"
AUDIENCE = "sgbus"
AUDIENCE_MAPPER = "audience-sgbus"
MANAGED_ATTRIBUTE = "sgbus.managed"

OFFICER = "officer"
OVERSIGHT = "oversight"
ADMIN = "admin"
REGISTRY_ADMIN = "registry-admin"
REGISTRY_READER = "registry-reader"
REALM_ROLES = (OFFICER, OVERSIGHT, ADMIN, REGISTRY_ADMIN, REGISTRY_READER)

ROUTER = "sgbus-router"
WATCHDOG = "sgbus-watchdog"
CONSOLE = "sgbus-console"
GATEWAY = "sgbus-gateway"
OPERATOR = "sgbus-operator"
KAFKA_ADMIN = "sgbus-admin"
REGISTRY_ADMIN_CLIENT = "sgbus-registry-admin"
REGISTRY_CLIENT = "sgbus-registry"
SERVICE_PRINCIPALS = (
    ROUTER,
    WATCHDOG,
    CONSOLE,
    GATEWAY,
    OPERATOR,
    KAFKA_ADMIN,
    REGISTRY_ADMIN_CLIENT,
)
# Keycloak accepts any port for an ``http://127.0.0.1/...`` redirect URI (RFC 8252 section 7.3,
# loopback redirection); it has no port wildcard, so an HTTPS console names its port, e.g.
# ``https://127.0.0.1:8443/auth/callback``.
DEFAULT_REDIRECT_URIS = ("http://127.0.0.1/auth/callback", "http://127.0.0.1/auth/logged-out")
DEFAULT_TOKEN_LIFESPAN_S = 300


@dataclass(frozen=True)
class ClientSpec:
    """One confidential client of the realm."""

    client_id: str
    service_account_roles: tuple[str, ...] = ()
    service_account: bool = True
    standard_flow: bool = False
    pkce: bool = False
    redirect_uris: tuple[str, ...] = ()
    description: str = ""

    def representation(self) -> dict[str, Any]:
        """The managed fields of Keycloak's ClientRepresentation (no secret, no ``enabled``:
        a revoked client stays revoked when the realm is applied again)."""
        attributes = {MANAGED_ATTRIBUTE: "true"}
        if self.pkce:
            attributes["pkce.code.challenge.method"] = "S256"
        if self.standard_flow:
            # After logout the provider may send the browser back to a redirect URI ("+").
            attributes["post.logout.redirect.uris"] = "+"
        return {
            "clientId": self.client_id,
            "description": self.description,
            "protocol": "openid-connect",
            "publicClient": False,
            "bearerOnly": False,
            "clientAuthenticatorType": "client-secret",
            "serviceAccountsEnabled": self.service_account,
            "standardFlowEnabled": self.standard_flow,
            "implicitFlowEnabled": False,
            "directAccessGrantsEnabled": False,
            "redirectUris": list(self.redirect_uris),
            "attributes": attributes,
        }


def audience_mapper() -> dict[str, Any]:
    """Protocol mapper adding ``aud: sgbus`` to access tokens."""
    return {
        "name": AUDIENCE_MAPPER,
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.custom.audience": AUDIENCE,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }


def login_mappers() -> list[dict[str, Any]]:
    """Protocol mappers of the console's login client: the user's party groups (claim
    ``groups``, names without path) and realm roles (claim ``roles``) in the ID token and
    userinfo, so the console needs no admin access to know who may do what."""
    claims = {"id.token.claim": "true", "userinfo.token.claim": "true"}
    return [
        {
            "name": "groups",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-group-membership-mapper",
            "config": {
                **claims,
                "claim.name": "groups",
                "full.path": "false",
                "access.token.claim": "false",
            },
        },
        {
            "name": "realm-roles",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-realm-role-mapper",
            "config": {
                **claims,
                "claim.name": "roles",
                "multivalued": "true",
                "jsonType.label": "String",
                "access.token.claim": "false",
            },
        },
    ]


def client_mappers(client_id: str) -> list[dict[str, Any]]:
    """Every protocol mapper a managed client carries."""
    return [audience_mapper(), *(login_mappers() if client_id == CONSOLE else [])]


@dataclass(frozen=True)
class GroupSpec:
    """The group of one party's officers."""

    name: str
    realm_roles: tuple[str, ...] = (OFFICER,)

    def representation(self) -> dict[str, Any]:
        """Keycloak's GroupRepresentation (name and the ``party`` attribute)."""
        return {"name": self.name, "attributes": {"party": [self.name]}}


@dataclass(frozen=True)
class RealmSpec:
    """Realm ``sgbus``: roles, clients and party groups."""

    clients: tuple[ClientSpec, ...]
    groups: tuple[GroupSpec, ...]
    roles: tuple[str, ...] = REALM_ROLES
    name: str = REALM
    access_token_lifespan: int = DEFAULT_TOKEN_LIFESPAN_S

    def realm_representation(self) -> dict[str, Any]:
        """The managed fields of Keycloak's RealmRepresentation."""
        return {
            "realm": self.name,
            "enabled": True,
            "accessTokenLifespan": self.access_token_lifespan,
        }

    def client(self, client_id: str) -> ClientSpec:
        """The client named ``client_id`` (``KeyError`` if the realm has none)."""
        for client in self.clients:
            if client.client_id == client_id:
                return client
        raise KeyError(client_id)

    @property
    def client_ids(self) -> list[str]:
        """Every clientId of the realm."""
        return [c.client_id for c in self.clients]

    def principals(self) -> list[str]:
        """The clients that act with their own credentials (service accounts)."""
        return [c.client_id for c in self.clients if c.service_account]


def realm_spec(
    party_ids: Iterable[str],
    *,
    access_token_lifespan: int = DEFAULT_TOKEN_LIFESPAN_S,
    console_redirect_uris: Sequence[str] = DEFAULT_REDIRECT_URIS,
    superusers: Sequence[str] = (),
) -> RealmSpec:
    """The realm for the catalogue's ``party_ids`` plus the service principals; ``superusers``
    (a test stack's inspector) get a client that may also write the registry."""
    parties = sorted(set(party_ids))
    clash = set(parties) & {*SERVICE_PRINCIPALS, REGISTRY_CLIENT}
    if clash:
        raise ValueError(f"party ids clash with service principals: {sorted(clash)}")
    clients = [party_client(p) for p in parties]
    clients += [_service_client(s, console_redirect_uris) for s in SERVICE_PRINCIPALS]
    clients += [
        ClientSpec(s, (REGISTRY_READER, REGISTRY_ADMIN), description="super user of a test stack")
        for s in superusers
    ]
    clients.append(
        ClientSpec(
            REGISTRY_CLIENT,
            service_account=False,
            description="the schema registry's own OIDC client (receives tokens only)",
        )
    )
    return RealmSpec(
        clients=tuple(clients),
        groups=tuple(GroupSpec(p) for p in parties),
        access_token_lifespan=access_token_lifespan,
    )


def party_client(party: str) -> ClientSpec:
    """The confidential client of a party's system."""
    return ClientSpec(
        party, (REGISTRY_READER,), description=f"system of party {party} (Kafka User:{party})"
    )


def _service_client(principal: str, redirect_uris: Sequence[str]) -> ClientSpec:
    roles = (REGISTRY_READER, REGISTRY_ADMIN) if principal == REGISTRY_ADMIN_CLIENT else ()
    if principal == CONSOLE:
        return ClientSpec(
            principal,
            (REGISTRY_READER,),
            standard_flow=True,
            pkce=True,
            redirect_uris=tuple(redirect_uris),
            description="web console: officers log in; writes outboxes for them",
        )
    return ClientSpec(
        principal, roles or (REGISTRY_READER,), description=f"sgbus service {principal}"
    )
