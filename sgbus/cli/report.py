"""``sgbus report``: the periodic status report (通报) of pushes and claims."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from sgbus.bus.regions.codes import is_region_code, level_of
from sgbus.cli import _startup, app
from sgbus.monitoring.report import Format, make_report, write_report

_DATE = ["%Y-%m-%d"]


@app.command("report")
def report_command(
    from_: Annotated[datetime, typer.Option("--from", formats=_DATE, help="first day, YYYY-MM-DD")],
    to: Annotated[datetime, typer.Option("--to", formats=_DATE, help="last day (included)")],
    fmt: Annotated[Format, typer.Option("--format", help="output format")] = Format.HTML,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="SGBUS_WATCHDOG_DB",
            help="SQLAlchemy URL of the watchdog store"
            " (default: stores/watchdog.db in SGBUS_STACK_DIR)",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="output file (default: sgbus-report-FROM-TO.EXT)")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="only this region: a county (370302), a city with its counties (371000)"
            " or a province (370000); default: everything on the bus"
        ),
    ] = None,
) -> None:
    """Per party and flow: received, claimed on time / late, auto-claimed, open, breaches,
    median claim time in working hours; charts of on-time rate and daily volume."""
    start, end = from_.date(), to.date()
    if end < start:
        raise typer.BadParameter(f"{end} is before --from {start}", param_hint="--to")
    if region is not None and not is_region_code(region):
        raise typer.BadParameter(
            f"{region!r} is not a six-digit region code", param_hint="--region"
        )
    url = _startup.watchdog_store(_startup.settings(), db, existing=True)
    engine = _startup.open_store(url, existing=True)
    parsed = make_url(url)
    report = make_report(engine, start, end, now=datetime.now(UTC), region=region)
    suffix = f"-{region}" if region else ""
    target = out or Path(f"sgbus-report-{start}-{end}{suffix}.{fmt.value}")
    source = parsed.render_as_string(hide_password=True)
    if region:
        source += f" · {level_of(region)} {region}"
    write_report(report, fmt, target, source=source)
    engine.dispose()
    t = report.total
    typer.echo(
        f"{target}: {t.received} received, {t.on_time} on time, {t.auto_claimed} auto-claimed,"
        f" {t.breaches} breaches, {t.still_open} open"
    )
