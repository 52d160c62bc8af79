"""The secured local stack's set-up steps: certificates, the realm, credentials, first ACLs.

Called by :class:`sgbus.stack.local.LocalStack` in this order:

1. :func:`prepare_pki` — the CA and certificates (kept across restarts), the broker's keystore;
2. the identity provider starts; :func:`provision_realm` makes the realm match the catalogue
   and writes every principal's credentials file (0600) under ``credentials/``;
3. the broker and the registry start; :func:`apply_acls` grants ``sgbus-admin`` its rights as
   the super user (the broker's certificate, over the mutual-TLS listener), then applies the
   full ACL plan as ``sgbus-admin``, as ``sgbus acls apply`` would.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sgbus.bus import principals
from sgbus.bus.security import load_credentials
from sgbus.identity.keycloak_admin import tls_context
from sgbus.stack.config import StackConfig
from sgbus.stack.errors import StartError
from sgbus.stack.probes import set_global_compatibility

if TYPE_CHECKING:
    from sgbus.bus.acls.model import Grant
    from sgbus.identity.keycloak_admin import KeycloakAdmin


def superuser_kafka_config(cfg: StackConfig) -> dict[str, Any]:
    """librdkafka settings that connect as the broker itself (mutual TLS, super user). Only
    the stack's own set-up and readiness probe use them."""
    pki = cfg.pki_dir
    return {
        "bootstrap.servers": cfg.internal_bootstrap,
        "security.protocol": "SSL",
        "ssl.ca.location": str(pki / "ca.pem"),
        "ssl.certificate.location": str(pki / "broker.pem"),
        "ssl.key.location": str(pki / "broker.key"),
    }


def prepare_pki(cfg: StackConfig) -> None:
    """Create (once) the CA and the certificates, and the broker's PEM keystore."""
    from sgbus.stack.pki import ensure_pki

    ensure_pki(cfg.pki_dir)


def all_principals(parties: Iterable[str]) -> list[str]:
    """Every principal of the stack: the parties and the services."""
    return [*dict.fromkeys(parties), *principals.SERVICE_PRINCIPALS]


def issue_credentials(cfg: StackConfig, principal: str, secret: str, out: Path) -> None:
    """Write ``principal``'s credentials file for this stack to ``out`` (0600)."""
    from sgbus.identity.credentials import credentials_document, write_credentials

    ca = cfg.pki_dir / "ca.pem"
    doc = credentials_document(
        principal,
        secret,
        bootstrap=cfg.bootstrap,
        token_url=cfg.token_url,
        registry_url=cfg.registry_url,
        ca_pem=ca.read_text(encoding="ascii"),
        ca_path=ca,
    )
    write_credentials(out, doc)


def apply_acls(cfg: StackConfig, parties: Iterable[str], notify: Callable[[str], None]) -> None:
    """Grant ``sgbus-admin`` its rights as the super user, then bring every ACL in line with
    the catalogue as ``sgbus-admin``."""
    from confluent_kafka.admin import AdminClient

    from sgbus.bus.acls import cluster
    from sgbus.bus.acls.desired import admin_grants, desired_acls

    wanted = desired_acls(parties) | sandbox_grants(cfg.sandbox_prefix)
    departments = sorted(set(parties))
    superuser = AdminClient(superuser_kafka_config(cfg))
    cluster.create(superuser, admin_grants(departments))
    admin = AdminClient(load_credentials(cfg.credentials_dir / f"{principals.ADMIN}.json").kafka)
    todo = cluster.plan_for(admin, wanted)
    cluster.apply(admin, todo)
    if not todo.is_empty():
        notify(todo.summary())


def sandbox_grants(prefix: str | None) -> set[Grant]:
    """What the router and the watchdog may do in a test stack's sandbox (none without one)."""
    from sgbus.bus.acls.model import Grant, Operation, PatternType, ResourceType

    if not prefix:
        return set()
    kinds = (
        (ResourceType.TOPIC, (Operation.READ, Operation.WRITE, Operation.DESCRIBE)),
        (ResourceType.GROUP, (Operation.READ,)),
        (ResourceType.TRANSACTIONAL_ID, (Operation.WRITE, Operation.DESCRIBE)),
    )
    return {
        Grant(principals.kafka_principal(name), kind, prefix, PatternType.PREFIXED, op)
        for name in (principals.ROUTER, principals.WATCHDOG)
        for kind, ops in kinds
        for op in ops
    }


def configure_registry(cfg: StackConfig) -> None:
    """Set the registry's global compatibility rule and register the bus's contracts, as
    ``sgbus schemas register`` does (secured: as ``sgbus-registry-admin``)."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    from sgbus.bus.contracts.gate import register_all
    from sgbus.bus.contracts.schema_set import SchemaSet

    verify: ssl.SSLContext | bool = True
    auth = None
    conf: dict[str, Any] = {"url": cfg.registry_url}
    if cfg.secured:
        creds = load_credentials(cfg.credentials_dir / f"{principals.REGISTRY_ADMIN}.json")
        conf = {**creds.schema_registry, "url": cfg.registry_url}
        user, _, password = str(conf["basic.auth.user.info"]).partition(":")
        auth, verify = (user, password), tls_context(cfg.pki_dir / "ca.pem")
    set_global_compatibility(cfg.registry_url, auth=auth, verify=verify)
    report = register_all(SchemaSet.load(), SchemaRegistryClient(conf))
    if not report.ok:
        raise StartError("the registry refused the contracts: " + "; ".join(report.errors[:3]))


def truststore_password(cfg: StackConfig) -> str:
    """The password of the stack's PKCS#12 trust store (for JVMs that cannot read PEM)."""
    if not cfg.secured:
        return ""
    return (cfg.pki_dir / "truststore.password").read_text(encoding="ascii").strip()


def identity_command(
    cfg: StackConfig, java21: str, markers: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Command line and environment of the identity provider."""
    from sgbus.identity.admin_credentials import ensure_admin_credentials
    from sgbus.stack.keycloak_render import KeycloakLayout, keycloak_argv, keycloak_env
    from sgbus.stack.pki import Pki

    layout = KeycloakLayout(
        dist=cfg.keycloak_dist,
        data=cfg.identity_data,
        https_port=cfg.identity_port,
        management_port=cfg.identity_management_port,
        heap=cfg.identity_heap,
    )
    for folder in layout.state_dirs():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    admin = ensure_admin_credentials(cfg.identity_dir)
    return keycloak_argv(java21, layout, Pki(cfg.pki_dir), markers), keycloak_env(java21, admin)


def identity_admin(cfg: StackConfig) -> KeycloakAdmin:
    """A client of the identity provider's admin API, logged in as the stack's admin."""
    from sgbus.identity.admin_credentials import ensure_admin_credentials
    from sgbus.identity.keycloak_admin import KeycloakAdmin

    admin = ensure_admin_credentials(cfg.identity_dir)
    return KeycloakAdmin(cfg.identity_url, admin, cfg.pki_dir / "ca.pem")


def provision_realm(cfg: StackConfig, parties: Iterable[str]) -> None:
    """Bring the realm in line with the catalogue; write every principal's credentials."""
    from sgbus.identity.realm import realm_spec

    spec = realm_spec(
        parties,
        access_token_lifespan=cfg.token_lifespan_s,
        superusers=cfg.extra_super_users,
    )
    cfg.credentials_dir.mkdir(parents=True, exist_ok=True)
    cfg.credentials_dir.chmod(0o700)
    with identity_admin(cfg) as admin:
        admin.apply_realm(spec)
        for principal in spec.principals():
            secret = admin.client_secret(principal)
            issue_credentials(cfg, principal, secret, cfg.credentials_dir / f"{principal}.json")
