"""``sgbus topics apply``, ``sgbus router run``, ``sgbus assign``: running the bus itself."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from sgbus.bus import principals
from sgbus.bus.catalogue import Catalogue
from sgbus.bus.events import ApprovalResult, CaseAssignment, new_envelope
from sgbus.bus.gc_tuning import tune_for_service
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.parties import WATCHDOG_PARTY, inbox_topic
from sgbus.bus.regions import is_policy_map
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.topics import apply, desired_topics
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.consumers.router.delivery_claims import RegionClaimModes
from sgbus.consumers.router.directory import CatalogueDirectory, RegionalDirectory
from sgbus.consumers.router.lookup import find_unassigned
from sgbus.consumers.router.process import AssignmentDirectory
from sgbus.consumers.router.service import GROUP_ID, Router
from sgbus.monitoring.cities import configure_cities
from sgbus.monitoring.lag_sampler import serve_service_metrics
from sgbus.producers.publisher import Publisher, PublishError
from sgbus.runtime.logging import configure_logging
from sgbus.runtime.stop import StopSignal

topics_app = typer.Typer(help="Kafka topics of the configured parties.", no_args_is_help=True)
router_app = typer.Typer(help="The router: outboxes → inboxes and sg.audit.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(router_app, name="router")
console = Console()


def catalogue_of(settings: Settings) -> Catalogue:
    """The configured matter catalogue (the 威海 example unless ``SGBUS_CATALOGUE`` is set)."""
    return _startup.catalogue(settings)


def all_parties(catalogue: Catalogue) -> list[str]:
    """Every party with topics: the catalogue's parties and the watchdog."""
    return [*sorted(catalogue.parties_by_id), WATCHDOG_PARTY]


def _directory(settings: Settings) -> AssignmentDirectory:
    """Routing by region under a policy map; else the one configured catalogue, as always."""
    if is_policy_map(settings.policy):
        with user_errors():
            regions = _startup.regions(settings)
            configure_cities(regions)  # the traffic metrics' city label follows the map
            return RegionalDirectory(regions)
    return CatalogueDirectory(catalogue_of(settings))


@topics_app.command("apply")
def topics_apply() -> None:
    """Create or update every topic the configured parties need; prints what changed."""
    settings = _startup.settings().acting_as(principals.ADMIN)
    parties = all_parties(catalogue_of(settings))
    done = apply(make_admin(settings), desired_topics(parties, settings))
    for line in done.describe() or ["nothing to change"]:
        console.print(line)


@router_app.command("run")
def router_run(
    instance: Annotated[
        str | None, typer.Option(help="stable instance name (transactional id)")
    ] = None,
    idle_exit: Annotated[
        float | None, typer.Option(help="exit after this many idle seconds")
    ] = None,
) -> None:
    """Route events until SIGTERM/SIGINT."""
    settings = _startup.settings()
    configure_logging(settings.log_level, service="router")
    directory = _directory(settings)
    stop = StopSignal().install()
    serde = serde_for(settings.acting_as(principals.ROUTER))
    modes = RegionClaimModes(_startup.regions(settings))
    router = Router(settings, serde, directory, instance, stop=stop, modes=modes)
    monitoring = serve_service_metrics(settings, "router", GROUP_ID, router.lag_reader())
    tune_for_service()
    try:
        stats = router.run(idle_exit_s=idle_exit)
    finally:
        if monitoring is not None:
            monitoring.close()
    console.print(
        f"routed {stats.routed}, dead-lettered {stats.dead_lettered}, aborts {stats.aborts},"
        f" claims on delivery {stats.claims_on_delivery}"
    )


@app.command("assign")
def assign(
    case_key: Annotated[str, typer.Argument(help="case key of the unassigned approval result")],
    to: Annotated[list[str], typer.Option("--to", help="department party id (repeatable)")],
    by: Annotated[str, typer.Option(help="who assigns (a role or name)")] = "oversight office",
    reason: Annotated[str | None, typer.Option(help="why this department")] = None,
    region: Annotated[
        str | None,
        typer.Option(help="the case's region code, under a policy map: whose pool to search"),
    ] = None,
) -> None:
    """Assign an approval result from the unassigned pool to department(s)."""
    settings = _startup.settings()
    catalogue = catalogue_of(settings)
    to = [_startup.party(settings, party, catalogue) for party in to]
    directory = _directory(settings)
    problem = directory.region_problem(region) if region is not None else None
    if problem is not None:
        _startup.fail(problem)
    oversight = directory.unassigned_pool(region)
    settings = settings.acting_as(oversight)
    serde = serde_for(settings)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"searching {inbox_topic(oversight)}", total=None)
        found = find_unassigned(
            settings, serde, case_key, oversight, lambda n: progress.update(task, completed=n)
        )
    if found is None:
        console.print(f"[red]no unassigned approval result with case key {case_key!r}")
        raise typer.Exit(1)
    event, value = found
    assert isinstance(event, ApprovalResult)
    assignment = CaseAssignment(
        envelope=new_envelope(
            CaseAssignment,
            sender=oversight,
            region=event.envelope.region,
            case_key=case_key,
            recipients=list(to),
            correlation_id=event.envelope.correlation_id,
            causation_id=event.envelope.event_id,
            occurred_at=dt.datetime.now(dt.UTC),
        ),
        assigned_event_id=event.envelope.event_id,
        assigned_event_type="ApprovalResult",
        assigned_to=list(to),
        assigned_by=by,
        original_value=value,
        reason=reason,
    )
    try:
        with Publisher(oversight, settings, serde) as pub:
            pub.publish(assignment)
    except PublishError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from None
    console.print(f"assigned {case_key} to {', '.join(to)} (event {assignment.envelope.event_id})")
