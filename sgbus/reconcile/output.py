"""The findings on the terminal (rich tables, without licensee columns) and as a workbook."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from rich.console import Console
from rich.table import Table

from sgbus.reconcile.model import Findings
from sgbus.reconcile.sheets import STATE_LABELS, Cell, Sheet, sheets


@dataclass(frozen=True)
class Context:
    """What the reconciliation was run on, printed above the counts."""

    first: date
    last: date
    policy: str
    basis: str
    scope: str
    register_rows: int


def summary_rows(ctx: Context, findings: Findings) -> list[tuple[str, str | int]]:
    """Label and value of each line of the summary."""
    states = Counter(STATE_LABELS[f.state] for f in findings.never_claimed)
    scope = "每个监管部门 each department" if ctx.scope == "each" else "任一监管部门 any department"
    return [
        ("期间 period", f"{ctx.first} – {ctx.last}"),
        ("政策 policy", ctx.policy),
        ("推送时间 pushed_at", ctx.basis),
        ("认领口径 claim scope", scope),
        ("登记行(期间内) register rows in period", ctx.register_rows),
        ("核对决定 decisions compared", findings.compared),
        ("未推送 never pushed", len(findings.never_pushed)),
        ("逾期推送 pushed late", len(findings.pushed_late)),
        ("未认领 never claimed", len(findings.never_claimed)),
        *[(f"  其中 of which {label}", n) for label, n in sorted(states.items())],
        ("重复登记 duplicate rows", len(findings.duplicates)),
    ]


def write_xlsx(ctx: Context, findings: Findings, path: Path) -> None:
    """A workbook: 概要 (summary), then one sheet per category, headers in bold."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "概要"
    for label, value in summary_rows(ctx, findings):
        ws.append([label, value])
    ws.append(["时间 times", "Asia/Shanghai"])
    for sheet in sheets(findings, ctx.basis):
        out = wb.create_sheet(sheet.title)
        out.append(sheet.headers)
        for cell in out[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            out.append(row)
        out.freeze_panes = "A2"
    wb.save(path)


def print_findings(console: Console, ctx: Context, findings: Findings, limit: int) -> None:
    """Counts, then up to ``limit`` rows of each category that has any."""
    counts = Table(title="对账 reconciliation", show_header=False)
    for label, value in summary_rows(ctx, findings):
        counts.add_row(label, str(value))
    console.print(counts)
    for sheet in sheets(findings, ctx.basis):
        if sheet.rows:
            console.print(_table(sheet, limit))


def _table(sheet: Sheet, limit: int) -> Table:
    keep = sheet.brief
    more = len(sheet.rows) - limit
    caption = f"… {more} more in the workbook" if more > 0 else None
    table = Table(title=f"{sheet.title} ({len(sheet.rows)})", caption=caption)
    for i in keep:
        table.add_column(sheet.headers[i])
    for row in sheet.rows[:limit]:
        table.add_row(*[_text(row[i]) for i in keep])
    return table


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return f"{cell:%Y-%m-%d %H:%M}"
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)
