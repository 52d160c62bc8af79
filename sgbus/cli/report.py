"""``sgbus report``: the periodic status report (通报) of each party's obligations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from sgbus.bus.regions.codes import is_region_code, level_of
from sgbus.cli import _startup, app
from sgbus.monitoring.report import Format, make_report, write_report
from sgbus.monitoring.report.periods import month_period, quarter_period

_DATE = ["%Y-%m-%d"]


@app.command("report")
def report_command(
    month: Annotated[
        str | None, typer.Option(help="a calendar month, YYYY-MM (e.g. 2026-11)")
    ] = None,
    quarter: Annotated[
        str | None, typer.Option(help="a calendar quarter, YYYYQn (e.g. 2026Q4)")
    ] = None,
    from_: Annotated[
        datetime | None,
        typer.Option("--from", formats=_DATE, help="first day, YYYY-MM-DD (with --to)"),
    ] = None,
    to: Annotated[
        datetime | None, typer.Option("--to", formats=_DATE, help="last day (included)")
    ] = None,
    name_below: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="name first the parties whose on-time rate is under this rate"
            " (default: SGBUS_REPORT_NAME_BELOW, 0.9; 青海's practice is 0.5)",
        ),
    ] = None,
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
    """The 通报 of a month, a quarter or any period (Asia/Shanghai days): parties under the
    on-time threshold named first; per party and flow received, on time, late, auto-resolved,
    open, disputed, transferred, breaches and the median time in working hours; urgings,
    disputes and transfers per party; charts of on-time rate and daily volume."""
    start, end = _period(month, quarter, from_, to)
    if region is not None and not is_region_code(region):
        raise typer.BadParameter(
            f"{region!r} is not a six-digit region code", param_hint="--region"
        )
    settings = _startup.settings()
    names = _startup.catalogue(settings).names
    threshold = settings.report_name_below if name_below is None else name_below
    url = _startup.watchdog_store(settings, db, existing=True)
    engine = _startup.open_store(url, existing=True)
    parsed = make_url(url)
    report = make_report(
        engine, start, end, datetime.now(UTC), region, names=names, name_below=threshold
    )
    suffix = f"-{region}" if region else ""
    target = out or Path(f"sgbus-report-{start}-{end}{suffix}.{fmt.value}")
    source = parsed.render_as_string(hide_password=True)
    if region:
        source += f" · {level_of(region)} {region}"
    write_report(report, fmt, target, source=source)
    engine.dispose()
    t = report.total
    typer.echo(
        f"{target}: {report.period}: {t.received} received, {t.on_time} on time,"
        f" {t.auto_claimed} auto-resolved, {t.breaches} breaches, {t.still_open} open;"
        f" {len(report.named)} named under {threshold:.0%}"
    )


def _period(
    month: str | None, quarter: str | None, from_: datetime | None, to: datetime | None
) -> tuple[date, date]:
    """The period's first and last day from exactly one of --month, --quarter, --from/--to."""
    given = [month is not None, quarter is not None, from_ is not None or to is not None]
    if sum(given) != 1:
        raise typer.BadParameter("give one of --month, --quarter, or --from with --to")
    try:
        if month is not None:
            return month_period(month)
        if quarter is not None:
            return quarter_period(quarter)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month" if month else "--quarter") from None
    if from_ is None or to is None:
        raise typer.BadParameter("--from and --to go together", param_hint="--from/--to")
    start, end = from_.date(), to.date()
    if end < start:
        raise typer.BadParameter(f"{end} is before --from {start}", param_hint="--to")
    return start, end
