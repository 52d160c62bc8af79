"""``sgbus acls plan | apply``: the broker's ACLs as the catalogue says (ACLs as code)."""

from __future__ import annotations

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.markup import escape

from sgbus.bus import principals
from sgbus.bus.acls import AclPlan, desired_acls
from sgbus.bus.acls.cluster import AclError, apply, plan_for
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.settings import Settings
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.cli.bus import all_parties, catalogue_of

acls_app = typer.Typer(
    help="Kafka ACLs of the configured parties and the bus's services.", no_args_is_help=True
)
app.add_typer(acls_app, name="acls")
console = Console()


def _show(todo: AclPlan) -> None:
    for line in todo.describe() or ["nothing to change"]:
        style = "green" if line.startswith("grant") else "red"
        console.print(f"[{style}]{escape(line)}[/]", soft_wrap=True)


def _plan(admin: AdminClient, settings: Settings) -> AclPlan:
    with user_errors():
        desired = desired_acls(all_parties(catalogue_of(settings)))
    try:
        return plan_for(admin, desired)
    except AclError as exc:
        _startup.fail(str(exc), code=1)


@acls_app.command("plan")
def acls_plan() -> None:
    """Print the ACLs to create and delete; changes nothing."""
    settings = _startup.settings().acting_as(principals.ADMIN)
    _show(_plan(make_admin(settings), settings))


@acls_app.command("apply")
def acls_apply() -> None:
    """Create the missing ACLs and delete the bus's stale ones; prints each change."""
    settings = _startup.settings().acting_as(principals.ADMIN)
    admin = make_admin(settings)
    todo = _plan(admin, settings)
    _show(todo)
    if todo.is_empty():
        return
    try:
        apply(admin, todo)
    except AclError as exc:
        _startup.fail(str(exc), code=1)
    console.print(todo.summary())
