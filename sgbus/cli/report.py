"""``sgbus report``: the periodic status report (通报) of pushes and claims."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

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
) -> None:
    """Per party and flow: received, claimed on time / late, auto-claimed, open, breaches,
    median claim time in working hours; charts of on-time rate and daily volume."""
    start, end = from_.date(), to.date()
    if end < start:
        raise typer.BadParameter(f"{end} is before --from {start}", param_hint="--to")
    url = _startup.watchdog_store(_startup.settings(), db, existing=True)
    engine = _startup.open_store(url, existing=True)
    parsed = make_url(url)
    report = make_report(engine, start, end, now=datetime.now(UTC))
    target = out or Path(f"sgbus-report-{start}-{end}.{fmt.value}")
    write_report(report, fmt, target, source=parsed.render_as_string(hide_password=True))
    engine.dispose()
    t = report.total
    typer.echo(
        f"{target}: {t.received} received, {t.on_time} on time, {t.auto_claimed} auto-claimed,"
        f" {t.breaches} breaches, {t.still_open} open"
    )
