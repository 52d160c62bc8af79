"""``sgbus reconcile``: the bureau's decision register against what reached the bus."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.reconcile.model import ClaimScope, TimeBasis

_DATE = ["%Y-%m-%d"]


@app.command("reconcile")
def reconcile_command(
    decisions: Annotated[
        str,
        typer.Option(
            "--decisions",
            help="the decision register: a .csv or .xlsx file,"
            " or sql:<SQLAlchemy URL> with --query",
        ),
    ],
    from_: Annotated[
        datetime, typer.Option("--from", formats=_DATE, help="first decision date, YYYY-MM-DD")
    ],
    to: Annotated[
        datetime, typer.Option("--to", formats=_DATE, help="last decision date (included)")
    ],
    query: Annotated[
        str | None, typer.Option(help="SELECT returning the register's columns (sql: only)")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="division code for rows without one, e.g. 371000")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="write the findings to this .xlsx")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="SGBUS_CONSOLE_DB",
            help="SQLAlchemy URL of the console's read-model store"
            " (default: stores/console.db in SGBUS_STACK_DIR)",
        ),
    ] = None,
    policy: Annotated[
        str | None, typer.Option(help="policy preset or YAML file (default: SGBUS_POLICY)")
    ] = None,
    calendar: Annotated[
        list[Path] | None,
        typer.Option(help="calendar override YAML; repeat for several (default: the settings')"),
    ] = None,
    time: Annotated[
        TimeBasis,
        typer.Option(
            "--time",
            help="when a result reached the bus: received (router's append time) or occurred"
            " (the envelope's occurred_at, the sender's clock)",
        ),
    ] = TimeBasis.RECEIVED,
    claims: Annotated[
        ClaimScope,
        typer.Option(
            "--claims",
            help="each: every department delivered to must claim; any: one claim clears it",
        ),
    ] = ClaimScope.EACH,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="judge open claims at this instant (ISO 8601 with offset; default now)"
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="rows shown per category")] = 50,
) -> None:
    """List registered decisions never pushed, pushed late under the policy, and pushed but
    never claimed; as tables, and as a workbook with --out."""
    from sgbus.bus.calendar import parse_instant
    from sgbus.bus.policy import load_policy
    from sgbus.consumers.watchdog.calendars import load_calendar
    from sgbus.reconcile import busfacts
    from sgbus.reconcile.compare import Rules, in_period, reconcile
    from sgbus.reconcile.output import Context, print_findings, write_xlsx
    from sgbus.reconcile.register import read_register
    from sgbus.runtime.startup import check_store_url

    first, last = from_.date(), to.date()
    if last < first:
        raise typer.BadParameter(f"{last} is before --from {first}", param_hint="--to")
    settings = _startup.settings()
    with user_errors():
        rows = in_period(read_register(decisions, query=query, default_region=region), first, last)
        chosen = load_policy(policy or settings.policy)
        chosen.rule("approval-push")  # a policy without a push rule cannot judge lateness
        cal = load_calendar(list(calendar or []) or list(settings.calendar_overrides))
        now = parse_instant(as_of) if as_of else datetime.now(UTC)
        url = db or settings.console_db_url()
        check_store_url(url, "--db/SGBUS_CONSOLE_DB", existing=True)
    engine = _startup.open_store(url, existing=True)
    try:
        with engine.connect() as conn:
            facts = busfacts.deliveries(conn, (d.case_key for d in rows))
    finally:
        engine.dispose()
    with user_errors():
        findings = reconcile(rows, facts, Rules(chosen, cal, now, time, claims))
    ctx = Context(first, last, chosen.name, time.value, claims.value, len(rows))
    print_findings(Console(), ctx, findings, limit)
    if out is not None:
        write_xlsx(ctx, findings, out)
        typer.echo(f"{out}: written")
