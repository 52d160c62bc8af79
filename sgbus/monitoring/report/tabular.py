"""The report as CSV (one table) and as an Excel workbook (named parties, table, actions,
rates, daily volume, charts).

The CSV is one row per party and flow, then the party's total (flow ``*``, with its officers'
actions and whether it is named), then the grand total. Column ``counts`` says what a row's
figures count (``pushes`` on the approval-push row, ``claims`` on the claim row…).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sgbus.monitoring.report.actions import ActionCounts
from sgbus.monitoring.report.labels import counted
from sgbus.monitoring.report.model import Line, Report

HEADER = (
    "party",
    "party_name",
    "flow",
    "counts",
    "received",
    "on_time",
    "late",
    "auto_resolved",
    "still_open",
    "disputed",
    "transferred",
    "breaches",
    "median_working_hours",
    "on_time_rate",
    "named",
    "urged",
    "disputes_raised",
    "transferred_out",
    "transferred_in",
)
NAMED_HEADER = ("party", "party_name", "on_time_rate", "closed", "on_time", "breaches", "urged")
ACTION_HEADER = (
    "party",
    "party_name",
    "urged",
    "disputes_raised",
    "transferred_out",
    "transferred_in",
)

Cell = str | int | float | None
ALL = "全部单位 All parties"


def line_values(report: Report, line: Line) -> list[Cell]:
    """One line as the cells of :data:`HEADER` (None where there is no value; the actions
    and ``named`` only on a party's total and the grand total)."""
    hours = None if line.median_claim_hours is None else round(line.median_claim_hours, 2)
    rate = None if line.on_time_rate is None else round(line.on_time_rate, 4)
    name = ALL if line.party == "*" else report.name_of(line.party)
    counts = "" if line.flow == "*" else counted(line.flow).answer_en
    cells: list[Cell] = [name, line.flow, counts, line.received, line.on_time, line.late]
    cells += [line.auto_claimed, line.still_open, line.disputed, line.transferred]
    cells += [line.breaches, hours, rate]
    return [line.party, *cells, *_total_values(report, line)]


def _total_values(report: Report, line: Line) -> list[Cell]:
    if line.flow != "*":
        return [None] * 5
    if line.party == "*":
        return [None, *_action_values(report.action_total)]
    named = any(t.party == line.party for t in report.named)
    return [1 if named else 0, *_action_values(report.actions_of(line.party))]


def _action_values(a: ActionCounts) -> list[Cell]:
    return [a.urged, a.disputed, a.transferred_out, a.transferred_in]


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
        w.writerow(["" if v is None else v for v in line_values(report, line)])
    return buf.getvalue()


def write_xlsx(report: Report, path: Path) -> None:
    """Workbook with sheets Named (parties under the threshold, first), Summary, Actions,
    On-time rate (with a bar chart) and Daily volume (with a chart)."""
    wb = Workbook()
    named = wb.active
    assert named is not None  # a new workbook always has one sheet
    named.title = "Named"
    _titled(named, f"点名通报 {report.period}: on-time rate under {report.name_below:.0%}")
    _header(named, NAMED_HEADER)
    for t in report.named:
        urged = report.actions_of(t.party).urged
        named.append(
            [
                t.party,
                report.name_of(t.party),
                t.on_time_rate,
                t.closed,
                t.on_time,
                t.breaches,
                urged,
            ]
        )

    ws = wb.create_sheet("Summary")
    _titled(ws, f"{report.period} status report {report.start} – {report.end} (Asia/Shanghai)")
    _header(ws, HEADER)
    for line in all_lines(report):
        ws.append(line_values(report, line))
    ws.freeze_panes = "E3"

    acts = wb.create_sheet("Actions")
    _titled(acts, "督办、争议、转办 Urgings, disputes and transfers")
    _header(acts, ACTION_HEADER)
    for a in [*report.actions, report.action_total]:
        name = ALL if a.party == "*" else report.name_of(a.party)
        acts.append([a.party, name, *_action_values(a)])

    rates = wb.create_sheet("On-time rate")
    rates.append(["party", "on_time_rate"])
    for t in report.party_totals:
        rates.append([report.name_of(t.party), t.on_time_rate])
    _bar_chart(rates, len(report.party_totals), "On-time rate per department", "bar", "D2")

    daily = wb.create_sheet("Daily volume")
    daily.append(["date", "received"])
    for day, n in report.daily:
        daily.append([day, n])
    _bar_chart(daily, len(report.daily), "Items received per day", "col", "D2")
    wb.save(path)


def _titled(ws: Worksheet, title: str) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)


def _header(ws: Worksheet, header: tuple[str, ...]) -> None:
    ws.append(list(header))
    for cell in ws[2]:
        cell.font = Font(bold=True)


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
