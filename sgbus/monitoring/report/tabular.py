"""The report as CSV (one table) and as an Excel workbook (table, rates, daily volume, charts)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sgbus.monitoring.report.model import Line, Report

HEADER = (
    "party",
    "flow",
    "received",
    "claimed_on_time",
    "claimed_late",
    "auto_claimed",
    "still_open",
    "breaches",
    "median_claim_working_hours",
    "on_time_rate",
)


def line_values(line: Line) -> list[str | int | float | None]:
    """One line as the cells of :data:`HEADER` (None where there is no value)."""
    hours = None if line.median_claim_hours is None else round(line.median_claim_hours, 2)
    rate = None if line.on_time_rate is None else round(line.on_time_rate, 4)
    return [
        line.party,
        line.flow,
        line.received,
        line.on_time,
        line.late,
        line.auto_claimed,
        line.still_open,
        line.breaches,
        hours,
        rate,
    ]


def all_lines(report: Report) -> list[Line]:
    """Flow lines of each party, then the party's total (flow ``*``), then the grand total."""
    out: list[Line] = []
    for total in report.party_totals:
        out += [line for line in report.lines if line.party == total.party]
        out.append(total)
    out.append(report.total)
    return out


def render_csv(report: Report) -> str:
    """CSV with :data:`HEADER`; empty cells where a median or rate does not exist."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for line in all_lines(report):
        w.writerow(["" if v is None else v for v in line_values(line)])
    return buf.getvalue()


def write_xlsx(report: Report, path: Path) -> None:
    """Workbook with sheets Summary, On-time rate (with a bar chart) and Daily volume (chart)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "Summary"
    ws.append([f"Status report {report.start} – {report.end} (Asia/Shanghai)"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(HEADER))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for line in all_lines(report):
        ws.append(line_values(line))
    ws.freeze_panes = "C3"

    rates = wb.create_sheet("On-time rate")
    rates.append(["party", "on_time_rate"])
    for t in report.party_totals:
        rates.append([t.party, t.on_time_rate])
    _bar_chart(rates, len(report.party_totals), "On-time rate per department", "bar", "D2")

    daily = wb.create_sheet("Daily volume")
    daily.append(["date", "received"])
    for day, n in report.daily:
        daily.append([day, n])
    _bar_chart(daily, len(report.daily), "Items received per day", "col", "D2")
    wb.save(path)


def _bar_chart(ws: Worksheet, rows: int, title: str, direction: str, anchor: str) -> None:
    if rows == 0:
        return
    chart = BarChart()
    chart.type = direction
    chart.title = title
    chart.legend = None
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    ws.add_chart(chart, anchor)
