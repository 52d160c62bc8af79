"""The periodic status report (通报), from the watchdog's SQL store.

``sgbus report --month 2026-11 | --quarter 2026Q4 | --from DATE --to DATE`` (see
:mod:`sgbus.cli.report`). Numbers: :mod:`.model` (with :mod:`.actions`, :mod:`.periods`);
data: :mod:`.source`; output: :mod:`.html`, :mod:`.tabular`. The console's 通报 download
makes the same report with :func:`make_report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine

from sgbus.monitoring.report.html import render_html
from sgbus.monitoring.report.model import DEFAULT_NAME_BELOW, Report, build_report
from sgbus.monitoring.report.source import load_facts
from sgbus.monitoring.report.tabular import render_csv, write_xlsx


class Format(StrEnum):
    """Output formats of the report."""

    HTML = "html"
    CSV = "csv"
    XLSX = "xlsx"


def make_report(
    engine: Engine,
    start: date,
    end: date,
    now: datetime,
    region: str | None = None,
    *,
    names: Mapping[str, str] | None = None,
    name_below: float = DEFAULT_NAME_BELOW,
) -> Report:
    """Read the period's obligations (of ``region`` only, if given) and aggregate them;
    ``names`` are the parties' names, ``name_below`` the on-time rate under which a party is
    named first."""
    with engine.connect() as conn:
        facts = load_facts(conn, start, end, region)
    return build_report(facts, start, end, generated_at=now, names=names, name_below=name_below)


def write_report(report: Report, fmt: Format, out: Path, source: str) -> None:
    """Write ``report`` to ``out`` in ``fmt``; ``source`` is shown in the HTML header."""
    if fmt is Format.XLSX:
        write_xlsx(report, out)
    elif fmt is Format.CSV:
        out.write_text(render_csv(report), encoding="utf-8")
    else:
        out.write_text(render_html(report, source), encoding="utf-8")


__all__ = ["DEFAULT_NAME_BELOW", "Format", "Report", "build_report", "make_report", "write_report"]
