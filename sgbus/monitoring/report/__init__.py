"""The periodic status report (通报) of pushes and claims, from the watchdog's SQL store.

``sgbus report --from DATE --to DATE --format html|csv|xlsx`` (see :mod:`sgbus.cli.report`).
Numbers: :mod:`.model`; data: :mod:`.source`; output: :mod:`.html`, :mod:`.tabular`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine

from sgbus.monitoring.report.html import render_html
from sgbus.monitoring.report.model import Report, build_report
from sgbus.monitoring.report.source import load_facts
from sgbus.monitoring.report.tabular import render_csv, write_xlsx


class Format(StrEnum):
    """Output formats of the report."""

    HTML = "html"
    CSV = "csv"
    XLSX = "xlsx"


def make_report(
    engine: Engine, start: date, end: date, now: datetime, region: str | None = None
) -> Report:
    """Read the period's obligations (of ``region`` only, if given) and aggregate them."""
    with engine.connect() as conn:
        facts = load_facts(conn, start, end, region)
    return build_report(facts, start, end, generated_at=now)


def write_report(report: Report, fmt: Format, out: Path, source: str) -> None:
    """Write ``report`` to ``out`` in ``fmt``; ``source`` is shown in the HTML header."""
    if fmt is Format.XLSX:
        write_xlsx(report, out)
    elif fmt is Format.CSV:
        out.write_text(render_csv(report), encoding="utf-8")
    else:
        out.write_text(render_html(report, source), encoding="utf-8")


__all__ = ["Format", "Report", "build_report", "make_report", "write_report"]
