"""The officer's filtered list as CSV or XLSX (the whole list, not one page)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook

from sgbus.bus.calendar import CHINA_TZ
from sgbus.console.labels import event_label
from sgbus.console.readmodel.queries import ItemRow

HEADER = (
    "事项类型",
    "案件键",
    "事项名称",
    "行政相对人",
    "统一社会信用代码",
    "文书号",
    "决定日期",
    "发送方",
    "接收方",
    "发生时间",
    "办理期限",
    "剩余工作日",
    "状态",
    "认领方式",
    "经办人",
)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def cells(row: ItemRow, days_left: int | None, state: str) -> list[str | int]:
    """One row of the export."""
    return [
        event_label(row.event_type),
        row.case_key,
        row.matter_name or "",
        row.licensee_name or "",
        row.credit_code or "",
        row.document_number or "",
        row.decision_date.isoformat() if row.decision_date else "",
        row.sender,
        row.party,
        _local(row.occurred_at),
        _local(row.due_at),
        "" if days_left is None else days_left,
        state,
        row.claim_mode or "",
        row.claim_officer or "",
    ]


def to_csv(rows: Sequence[list[str | int]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[list[str | int]], title: str) -> bytes:
    """One worksheet with a header row, frozen under it."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(HEADER))
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
