"""``sgbus watchdog run|reload-calendar`` and ``sgbus obligations``."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select, union

from sgbus.bus.calendar import parse_instant
from sgbus.bus.catalogue import Catalogue, labelled
from sgbus.bus.gc_tuning import tune_for_service
from sgbus.bus.obligations.model import Obligation, State
from sgbus.bus.obligations.regional import RegionalIngestor
from sgbus.bus.regions import load_regions
from sgbus.bus.store.tables import obligations
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.consumers.watchdog.calendars import apply_calendars, load_calendar
from sgbus.consumers.watchdog.clock import Clock
from sgbus.consumers.watchdog.query import ObligationFilter, as_json, list_obligations, local
from sgbus.consumers.watchdog.service import StepStats, WatchdogConfig
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.monitoring.lag_sampler import serve_service_metrics
from sgbus.runtime.logging import configure_logging
from sgbus.runtime.startup import known_party
from sgbus.runtime.stop import StopSignal

watchdog_app = typer.Typer(
    help="The watchdog: who owes whom an answer by when, and what happens at the deadline.",
    no_args_is_help=True,
)
app.add_typer(watchdog_app, name="watchdog")
log = structlog.get_logger("sgbus.cli.watchdog")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="SGBUS_WATCHDOG_DB",
        help="SQLAlchemy URL of the watchdog store"
        " (default: stores/watchdog.db in SGBUS_STACK_DIR)",
    ),
]
PolicyOption = Annotated[
    str | None,
    typer.Option(
        help="policy preset, policy YAML, or policy map (shandong or YAML) (default: SGBUS_POLICY)"
    ),
]
CalendarOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--calendar",
        help="calendar override YAML, or a folder of them; repeat for several"
        " (default: SGBUS_CALENDAR_OVERRIDES)",
    ),
]


def _instant(text: str | None) -> datetime | None:
    return parse_instant(text) if text else None


@watchdog_app.command("run")
def run(
    now: Annotated[
        str | None,
        typer.Option(
            help="act as of this instant (ISO 8601 with offset); with --clock-speed,"
            " where simulated time starts"
        ),
    ] = None,
    clock_speed: Annotated[
        float | None,
        typer.Option(min=0.001, help="simulated clock: X times faster than real time"),
    ] = None,
    db: DbOption = None,
    policy: PolicyOption = None,
    catalogue: Annotated[Path | None, typer.Option(help="matter catalogue YAML or CSV")] = None,
    calendar: CalendarOption = None,
    group: Annotated[str, typer.Option(help="consumer group of the instances")] = "sgbus-watchdog",
    instance_id: Annotated[
        str | None, typer.Option(help="static group member id: restarts resume at once")
    ] = None,
    audit_topic: Annotated[str, typer.Option(help="audit log topic to read")] = "sg.audit",
    outbox_topic: Annotated[
        str, typer.Option(help="topic outcome events are published to")
    ] = "sg.watchdog.outbox",
    grace: Annotated[
        float,
        typer.Option(min=0, help="seconds of the clock allowed for an answer to reach the log"),
    ] = 5.0,
    batch: Annotated[int, typer.Option(min=1, help="audit records per transaction")] = 1000,
    sweep_batch: Annotated[
        int, typer.Option(min=1, help="obligations per sweep transaction")
    ] = 1000,
    until_idle: Annotated[
        bool, typer.Option(help="exit once everything is read, swept and published")
    ] = False,
    decode_worker: Annotated[
        bool | None,
        typer.Option(
            "--decode-worker/--no-decode-worker",
            help="decode and interpret in a second process while writing to the store"
            " (default: SGBUS_WATCHDOG_DECODE_WORKER, on)",
        ),
    ] = None,
) -> None:
    """Consume the audit log, track obligations, act at their deadlines.

    SIGHUP re-reads the calendar overrides and recomputes open provisional deadlines.
    """
    settings = _startup.settings()
    db = _startup.watchdog_store(settings, db, existing=False)
    configure_logging(settings.log_level, service="watchdog")
    stop = StopSignal().install()  # from here on SIGTERM ends the run cleanly, at any moment
    config = WatchdogConfig(
        group_id=group,
        audit_topic=audit_topic,
        outbox_topic=outbox_topic,
        batch_size=batch,
        sweep_limit=sweep_batch,
        grace_s=grace,
    )
    with user_errors():
        opts = RunOptions(
            db_url=db,
            policy=policy,
            catalogue=catalogue,
            calendar=list(calendar or []),
            now=_instant(now),
            clock_speed=clock_speed,
            instance_id=instance_id,
            decode_worker=decode_worker,
            config=config,
        )
        watchdog = build_watchdog(settings, opts, stop)
    tune_for_service()

    def reload(signum: int, _frame: FrameType | None) -> None:
        watchdog.request_reload()

    signal.signal(signal.SIGHUP, reload)
    monitoring = serve_service_metrics(settings, "watchdog", group, watchdog.lag_reader())
    log.info(
        "watchdog started",
        instance=instance_id or str(os.getpid()),
        policy=watchdog.ingestor.policy_names,
        group=group,
        clock=watchdog.clock.now().isoformat(),
    )
    try:
        watchdog.start()  # waits for the store and the broker; the stop signal ends the wait
        watchdog.run(stop.is_set, until_idle=until_idle, on_step=_log_step(watchdog.clock))
    finally:
        watchdog.close()
        if monitoring is not None:
            monitoring.close()
    log.info("watchdog stopped")


def _log_step(clock: Clock) -> Callable[[StepStats], None]:
    def on_step(s: StepStats) -> None:
        counts = {k: v for k, v in asdict(s).items() if not isinstance(v, bool)}
        if any(counts.values()):
            log.info("watchdog step", clock=local(clock.now()), **counts)

    return on_step


@watchdog_app.command("reload-calendar")
def reload_calendar(
    pid: Annotated[
        int | None, typer.Option(help="signal this running watchdog (SIGHUP) instead")
    ] = None,
    db: DbOption = None,
    policy: PolicyOption = None,
    calendar: CalendarOption = None,
) -> None:
    """Recompute open provisional deadlines in the store on the current override files.

    A running watchdog keeps computing new deadlines on the calendar it loaded: send it
    SIGHUP (``--pid``), which re-reads the files and recomputes the store itself.
    """
    if pid is not None:
        os.kill(pid, signal.SIGHUP)
        typer.echo(f"sent SIGHUP to watchdog {pid}: it reloads the calendar and recomputes")
        return
    settings = _startup.settings()
    url = _startup.watchdog_store(settings, db, existing=True)
    with user_errors():
        regions = load_regions(policy or settings.policy, settings.catalogue)
        cal = load_calendar(list(calendar or []) or list(settings.calendar_overrides))
        rules = RegionalIngestor(regions, cal)
    engine = _startup.open_store(url, existing=True)
    changes = apply_calendars(engine, rules.rules_of)
    typer.echo(f"{len(changes)} provisional deadline(s) changed")


@app.command("obligations")
def obligations_command(
    party: Annotated[str | None, typer.Option(help="debtor or creditor party id")] = None,
    overdue: Annotated[bool, typer.Option(help="only past their deadline with no answer")] = False,
    case: Annotated[
        str | None, typer.Option(help="case key, e.g. 371000:威审批〔2026〕12号")
    ] = None,
    state: Annotated[State | None, typer.Option(help="only in this state")] = None,
    now: Annotated[
        str | None, typer.Option(help="judge --overdue as of this instant (default: now)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many rows")] = 100,
    as_json_: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
    db: DbOption = None,
) -> None:
    """List obligations, earliest deadline first."""
    with user_errors():
        at = _instant(now) or datetime.now(UTC)
    settings = _startup.settings()
    url = _startup.watchdog_store(settings, db, existing=True)
    engine = _startup.open_store(url, existing=True)
    cat = _startup.catalogue(settings)
    if party is not None:
        party = _known_party(cat, engine, party)
    f = ObligationFilter(party=party, case_key=case, state=state, overdue=overdue, limit=limit)
    with engine.connect() as conn:
        rows = list_obligations(conn, f, at)
    if as_json_:
        for ob in rows:
            typer.echo(json.dumps(as_json(ob), ensure_ascii=False))
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=180)  # piped or captured: do not squeeze the table into 80
    console.print(_table(rows, at, cat.names))


def _known_party(cat: Catalogue, engine: Engine, party: str) -> str:
    """``party`` if the catalogue or the store knows it: a store may hold parties of an
    earlier catalogue, and a filter on a party nobody knows is a typo, not an empty list."""
    column = obligations.c
    with engine.connect() as conn:
        stored = conn.scalars(union(select(column.debtor), select(column.creditor))).all()
    with user_errors():
        return known_party(party, [*cat.parties_by_id, *stored], f"catalogue {cat.name!r} or store")


_STATE_STYLE = {
    State.OPEN: "yellow",
    State.DISCHARGED: "green",
    State.BREACHED: "bold red",
    State.AUTO_RESOLVED: "cyan",
    State.SUSPENDED: "magenta",
    State.TRANSFERRED: "blue",
}


def _table(rows: list[Obligation], now: datetime, names: Mapping[str, str]) -> Table:
    """The obligations, each party by its name with its id beside it."""
    table = Table(title=f"{len(rows)} obligation(s) — times Asia/Shanghai, due = exclusive")
    for col in ("case", "flow", "debtor → creditor", "opened", "due", "state", "answered", "rule"):
        table.add_column(col, overflow="fold")
    for ob in rows:
        o = ob.opening
        late = ob.state is State.OPEN and o.due_at <= now
        due = local(o.due_at) + (" ≈" if o.provisional else "") + (" !" if late else "")
        if ob.state is State.SUSPENDED:
            due += f"\n⏸ since {local(ob.suspended_at)}"
        if o.original_due_at is not None:
            source = labelled(names, o.handed_over_from or "")
            due += f"\n(first {local(o.original_due_at)}, from {source})"
        if ob.urgings:
            due += f"\n督办 ×{len(ob.urgings)}"
        table.add_row(
            o.case_key,
            o.flow,
            f"{labelled(names, o.debtor)}\n→ {labelled(names, o.creditor)}",
            local(o.opened_at),
            due,
            f"[{_STATE_STYLE[ob.state]}]{ob.state.value}[/]",
            local(ob.answered_at),
            o.source,
        )
    table.caption = (
        "≈ provisional calendar year   ! past due, not yet swept   ⏸ clock stopped (dispute)"
    )
    return table
