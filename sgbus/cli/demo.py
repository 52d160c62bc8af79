"""``sgbus demo``: the main job — the local stack and a simulated week of 审管联动 on it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.settings import Settings
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.cli.stack import local_stack, warn_insecure
from sgbus.demo.cast import all_parties, cast, cities_of
from sgbus.demo.console import DemoConsole, start_demo_console
from sgbus.demo.scenario import DemoPlan, Row, Running, city_totals, start, summary
from sgbus.stack import StackError

console = Console()


def _title(run: Running) -> str:
    if len(run.cities) == 1:
        return "审管联动 demo — 威海 parties (weihai-…)"
    return "审管联动 demo — " + "、".join(c.name for c in run.cities) + " on one bus"


def _table(run: Running) -> Group:
    now = run.clock.now().astimezone(CHINA_TZ)
    rows = summary(run)
    several = len(run.cities) > 1
    table = Table(title=_title(run), expand=False)
    for col in (
        *(["city"] if several else []),
        "party",
        "behaviour",
        "published",
        "delivered",
        "claimed",
        "pending",
        "reminders",
        "auto-claims",
        "breaches",
    ):
        table.add_column(
            col, justify="left" if col in ("city", "party", "behaviour", "claimed") else "right"
        )
    for r in rows:
        claimed = ", ".join(f"{k} {v}" for k, v in sorted(r.claimed.items())) or "—"
        table.add_row(
            *([r.city] if several else []),
            r.party,
            r.behaviour,
            str(r.published),
            str(r.delivered),
            claimed,
            str(r.pending),
            str(r.reminders),
            str(r.auto_claims),
            str(r.breaches),
        )
    clock = Text(
        f"simulated time {now:%a %Y-%m-%d %H:%M} (+08:00), "
        f"until {run.end_at.astimezone(CHINA_TZ):%a %m-%d %H:%M}"
    )
    errors = Text("\n".join(run.errors), style="red") if run.errors else Text("")
    if not several:
        return Group(clock, table, errors)
    return Group(clock, table, _city_table(run, rows), errors)


def _city_table(run: Running, rows: list[Row]) -> Table:
    """Per-city figures: each city's departments and bureau together, under its own rules."""
    names = {c.region: f"{c.region} {c.name}" for c in run.cities}
    rules = {c.region: c.rules for c in run.cities}
    table = Table(title="per city, each under its own rules", expand=False)
    cols = ("city", "rules", "published", "delivered", "claimed", "pending", "reminders")
    for col in (*cols, "auto-claims", "breaches"):
        table.add_column(col, justify="left" if col in ("city", "rules") else "right")
    for t in city_totals(rows):
        figures = (t.published, t.delivered, t.claimed, t.pending, t.reminders)
        table.add_row(
            names.get(t.city, t.city),
            rules.get(t.city, ""),
            *(str(n) for n in figures),
            str(t.auto_claims),
            str(t.breaches),
        )
    return table


@app.command()
def demo(
    results: Annotated[int, typer.Option(help="approval results the bureau publishes")] = 300,
    speed: Annotated[float, typer.Option(help="simulated seconds per real second")] = 20_000,
    days: Annotated[float, typer.Option(help="simulated days to run")] = 8,
    policy: Annotated[
        str,
        typer.Option(
            help="deadline policy preset or file (威海's parties), or a policy map: every city"
            " of the map at once, each under its own rules (e.g. shandong)"
        ),
    ] = "anqiu",
    web: Annotated[
        bool, typer.Option("--console/--no-console", help="serve the 审管互动平台 on the run")
    ] = True,
) -> None:
    """Start the local stack (or use the broker in SGBUS_BOOTSTRAP and the registry in
    SGBUS_SCHEMA_REGISTRY), then run a simulated week: publish, route, claim, watch deadlines."""
    local = not _startup.settings().bootstrap
    with user_errors():
        cities = cities_of(policy)
        parties = all_parties(cities, cast(cities))
    settings = _stack_settings(_startup.settings(), parties)
    # Beside the stack whose topics and offsets it uses, like the default stores.
    workdir = settings.stack_state_dir() / "demo" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    plan = DemoPlan(results=results, speed=speed, days=days, policy=policy)
    sites: list[DemoConsole] = []

    def serve_console(run: Running) -> None:
        if web and local:
            sites.extend(s for s in [_console(settings, run, workdir, plan)] if s is not None)

    try:
        run, threads = start(settings, plan, workdir, serve_console)
    except OSError as exc:  # e.g. the metrics port is taken
        console.print(f"[red]sgbus demo: {exc}")
        raise typer.Exit(1) from None
    if run.monitoring is not None:
        console.print(f"metrics on http://{settings.metrics_host}:{run.monitoring.port}/metrics")
    with Live(_table(run), console=console, refresh_per_second=4) as live:
        while not run.stop.is_set() and not run.errors:
            live.update(_table(run))
            time.sleep(0.25)
        run.stop.set()
        for t in threads:
            t.join(30)
        live.update(_table(run))
    if run.monitoring is not None:
        run.monitoring.close()
    for site in sites:
        site.close()
    _next_steps(workdir, run)
    if run.errors:
        raise typer.Exit(1)


def _console(settings: Settings, run: Running, workdir: Path, plan: DemoPlan) -> DemoConsole | None:
    """Serve the console on the run and print its logins (secured local stack only)."""
    if settings.plaintext() or settings.credentials is not None:
        console.print("[yellow]no console: it needs the local stack's identity provider")
        return None
    try:
        site = start_demo_console(settings, local_stack().cfg, run, workdir, plan.policy)
    except OSError as exc:  # the console's port is taken: the demo goes on without it
        console.print(f"[yellow]no console: {exc} (set SGBUS_CONSOLE_PORT)")
        return None
    console.print(f"[bold]审管互动平台[/bold] {site.site.url}  (logins of this run:)")
    for login in site.logins:
        roles = "+".join(login.roles)
        console.print(f"  {login.username:<24} {login.password:<14} {roles}")
    return site


def _stack_settings(settings: Settings, parties: list[str]) -> Settings:
    """``settings`` as they are when a broker is configured (a stack run elsewhere; the
    registry is ``SGBUS_SCHEMA_REGISTRY`` or the local default), else pointing at the local
    stack, which is started if it is not running, with ``parties`` in its realm and ACLs."""
    if settings.bootstrap:
        console.print(f"using Kafka {settings.bootstrap}, registry {settings.registry_url()}")
        return settings
    try:
        if settings.insecure:
            warn_insecure()
        # The demo's parties: the example catalogue's, or every city's under a policy map.
        stack = local_stack(settings.insecure)
        info = stack.up(notify=lambda m: console.print(f"  {m}"), parties=parties)
    except StackError as exc:
        console.print(f"[red]sgbus demo: {exc}")
        raise typer.Exit(1) from None
    console.print(f"stack up: Kafka {info.bootstrap}, registry {info.schema_registry}")
    return Settings(
        **{
            **settings.model_dump(),
            "bootstrap": info.bootstrap,
            "schema_registry": info.schema_registry,
        }
    )


def _next_steps(workdir: Path, run: Running) -> None:
    start = run.clock.start.astimezone(CHINA_TZ).date()
    end = run.end_at.astimezone(CHINA_TZ).date()
    dept = next(r.party for r in run.roles if r.behaviour == "late")
    bureau = run.cities[0].approval
    console.print(f"""
[bold]Where to look next[/bold] (stores of this run: {workdir})
  .venv/bin/sgbus inbox --party {dept} --db sqlite:///{workdir / (dept + ".db")}
  .venv/bin/sgbus inbox --party {bureau} --pending --db sqlite:///{workdir / (bureau + ".db")}
  .venv/bin/sgbus obligations --state breached --db sqlite:///{workdir / "watchdog.db"}
  .venv/bin/sgbus report --from {start} --to {end} --format html --out report.html \\
      --db sqlite:///{workdir / "watchdog.db"}
  .venv/bin/sgbus stack status          # the stack keeps running; `sgbus stack down` stops it""")
