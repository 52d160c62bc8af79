"""``sgbus credentials issue | rotate | revoke | restore``: what a system is handed to connect.

A credentials file is JSON with two keys, ``kafka`` (librdkafka settings usable as-is by
``confluent_kafka.Producer``) and ``schema_registry`` (usable as-is by
``SchemaRegistryClient``), mode 0600. These commands work against the local stack's identity
provider, whose admin password the stack keeps in its folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sgbus.bus import principals
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.stack import StackConfig

credentials_app = typer.Typer(
    help="Credentials of a party's system or a service: issue, rotate, revoke, restore.",
    no_args_is_help=True,
)
app.add_typer(credentials_app, name="credentials")

PartyOption = Annotated[
    str | None, typer.Option("--party", help="a catalogue party id, e.g. weihai-health")
]
_SERVICES = ", ".join(principals.SERVICE_PRINCIPALS)
ServiceOption = Annotated[
    str | None, typer.Option("--service", help=f"a service principal: {_SERVICES}")
]
OutOption = Annotated[Path | None, typer.Option("--out", help="where to write the file (0600)")]


def _principal(party: str | None, service: str | None) -> str:
    settings = _startup.settings()
    if (party is None) == (service is None):
        _startup.fail("give exactly one of --party and --service")
    if service is not None:
        if service not in principals.SERVICE_PRINCIPALS:
            _startup.fail(f"unknown service {service!r}; one of {_SERVICES}")
        return service
    assert party is not None
    return _startup.party(settings, party)


def _stack() -> StackConfig:
    cfg = StackConfig.from_settings(_startup.settings())
    if not cfg.secured:
        _startup.fail("SGBUS_INSECURE is set: a plaintext stack has no credentials")
    return cfg


def _write(cfg: StackConfig, principal: str, secret: str, out: Path | None) -> None:
    from sgbus.stack.secure import issue_credentials

    own = cfg.credentials_dir / f"{principal}.json"
    issue_credentials(cfg, principal, secret, own)
    if out is not None:
        issue_credentials(cfg, principal, secret, out)
        typer.echo(f"wrote {out} (mode 0600) for {principal}")


@credentials_app.command("issue")
def issue(party: PartyOption = None, service: ServiceOption = None, out: OutOption = None) -> None:
    """Write the credentials file of a party's system or a service."""
    from sgbus.stack.secure import identity_admin

    principal = _principal(party, service)
    if out is None:
        _startup.fail("give --out FILE")
    cfg = _stack()
    with user_errors():
        secret = identity_admin(cfg).client_secret(principal)
    _write(cfg, principal, secret, out)


@credentials_app.command("rotate")
def rotate(party: PartyOption = None, service: ServiceOption = None, out: OutOption = None) -> None:
    """Give the principal a new secret: the old one stops working at once (tokens already
    issued live out their lifetime); the stack's copy, and ``--out``, get the new one."""
    from sgbus.stack.secure import identity_admin

    principal = _principal(party, service)
    cfg = _stack()
    with user_errors():
        secret = identity_admin(cfg).rotate_secret(principal)
    _write(cfg, principal, secret, out)
    typer.echo(f"rotated the secret of {principal}")


@credentials_app.command("revoke")
def revoke(party: PartyOption = None, service: ServiceOption = None) -> None:
    """Disable the principal: no new token; the broker refuses it once its current token's
    lifetime (SGBUS_TOKEN_LIFESPAN_S) has passed."""
    from sgbus.stack.secure import identity_admin

    principal = _principal(party, service)
    with user_errors():
        identity_admin(_stack()).revoke(principal)
    typer.echo(f"revoked {principal}")


@credentials_app.command("restore")
def restore(party: PartyOption = None, service: ServiceOption = None) -> None:
    """Enable a revoked principal again (with its current secret)."""
    from sgbus.stack.secure import identity_admin

    principal = _principal(party, service)
    with user_errors():
        identity_admin(_stack()).restore(principal)
    typer.echo(f"restored {principal}")
