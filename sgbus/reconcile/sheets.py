"""The findings as rows of cells: one sheet per category, shared by the XLSX and the terminal.

Times are shown in Asia/Shanghai, without an offset (Excel keeps no time zones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sgbus.bus.calendar import CHINA_TZ
from sgbus.reconcile.columns import contract_labels
from sgbus.reconcile.model import (
    ClaimState,
    Decision,
    Duplicate,
    Findings,
    NeverClaimed,
    NeverPushed,
    PushedLate,
)

Cell = str | int | date | datetime | None

STATE_LABELS = {
    ClaimState.AUTO_CLAIMED: "系统自动认领",
    ClaimState.OVERDUE: "逾期未认领",
    ClaimState.OPEN: "未认领（未到期）",
    ClaimState.UNCLAIMED: "未认领",
    ClaimState.UNASSIGNED: "未分派",
}


@dataclass(frozen=True)
class Sheet:
    """One category: its sheet name, column headers and rows. The terminal shows only the
    ``brief`` columns (never the licensee's: those stay in the bureau's own workbook)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    brief: tuple[int, ...] = ()


def local(moment: datetime | None) -> datetime | None:
    """``moment`` as naive Asia/Shanghai wall time."""
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None) if moment else None


def _decision_headers() -> list[str]:
    lab = contract_labels()
    return [
        "登记行 row",
        "案件键 case_key",
        f"{lab['document_number']} document_number",
        f"{lab['region']} region",
        f"{lab['decision_date']} decision_date",
        f"{lab['matter_code']} matter_code",
        f"{lab['matter_name']} matter_name",
        f"{lab['licensee_name']} licensee_name",
        f"{lab['credit_code']} credit_code",
    ]


_BRIEF = (0, 1, 4)  # row, case key and decision date of the columns above


def _decision_cells(d: Decision) -> list[Cell]:
    return [
        d.row,
        d.case_key,
        d.document_number,
        d.region,
        d.decision_date,
        d.matter_code,
        d.matter_name,
        d.licensee_name,
        d.credit_code,
    ]


def _never_pushed(f: NeverPushed) -> list[Cell]:
    return [*_decision_cells(f.decision), local(f.due_at), "是" if f.provisional else ""]


def _late(f: PushedLate) -> list[Cell]:
    return [
        *_decision_cells(f.decision),
        local(f.due_at),
        local(f.pushed_at),
        f.working_days_late,
        "是" if f.provisional else "",
    ]


def _unclaimed(f: NeverClaimed) -> list[Cell]:
    return [
        *_decision_cells(f.decision),
        f.party or "",
        local(f.received_at),
        STATE_LABELS[f.state],
        local(f.claim_due_at),
        local(f.auto_claimed_at),
    ]


def _duplicate(f: Duplicate) -> list[Cell]:
    return [*_decision_cells(f.decision), f.first_row, "" if f.same_date else "日期不同"]


def _sheet(
    key: str,
    title: str,
    extra: list[str],
    items: Sequence[object],
    cells: Callable[..., list[Cell]],
) -> Sheet:
    headers = _decision_headers() + extra
    brief = _BRIEF + tuple(range(len(headers) - len(extra), len(headers)))
    return Sheet(key, title, headers, [cells(i) for i in items], brief)


def sheets(findings: Findings, deadline_basis: str) -> list[Sheet]:
    """The four category sheets, in report order."""
    due = "推送期限(不含) push_due_before"
    provisional = "期限暂定 provisional"
    return [
        _sheet(
            "never_pushed",
            "未推送",
            [due, provisional],
            findings.never_pushed,
            _never_pushed,
        ),
        _sheet(
            "pushed_late",
            "逾期推送",
            [
                due,
                f"推送时间 pushed_at ({deadline_basis})",
                "逾期工作日 working_days_late",
                provisional,
            ],
            findings.pushed_late,
            _late,
        ),
        _sheet(
            "never_claimed",
            "未认领",
            [
                "监管部门 party",
                "送达时间 received_at",
                "状态 state",
                "认领期限(不含) claim_due_before",
                "系统自动认领 auto_claimed_at",
            ],
            findings.never_claimed,
            _unclaimed,
        ),
        _sheet(
            "duplicates",
            "重复登记",
            ["首次登记行 first_row", "备注 note"],
            findings.duplicates,
            _duplicate,
        ),
    ]
