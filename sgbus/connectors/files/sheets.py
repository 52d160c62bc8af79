"""Reading a CSV or XLSX file into header and rows, and writing the per-file result report."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

SUFFIXES = (".csv", ".xlsx")
#: Excel saves CSV as UTF-8 with a BOM, or in the Chinese code page (GB 18030 covers GBK).
_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Sheet:
    """The first sheet of a file: its header cells and its data rows (row number, cells)."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


def read_sheet(path: Path) -> Sheet:
    """The header and the non-empty rows of ``path`` (numbered as the spreadsheet shows them)."""
    raw = _csv_rows(path) if path.suffix.lower() == ".csv" else _xlsx_rows(path)
    if not raw:
        raise ValueError("the file is empty: the first row must name the columns")
    header = ["" if c is None else str(c).strip() for c in raw[0]]
    rows = [
        (number, list(cells))
        for number, cells in enumerate(raw[1:], start=2)
        if any(c not in (None, "") for c in cells)
    ]
    return Sheet(header, rows)


def _csv_rows(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [list(r) for r in csv.reader(io.StringIO(text))]
    raise ValueError("the CSV file is neither UTF-8 nor GB 18030 (GBK) text")


def _xlsx_rows(path: Path) -> list[list[Any]]:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


@dataclass(frozen=True)
class RowResult:
    """What became of one row."""

    row: int
    event_id: str | None = None  # accepted
    field: str | None = None  # rejected: the column at fault, when one is
    reason: str | None = None


def write_result(path: Path, results: Sequence[RowResult]) -> None:
    """The result report (``<file>.result.xlsx``): one line per row, accepted or rejected."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "处理结果"
    sheet.append(["行号 row", "结果 result", "事件编号 event_id", "字段 field", "原因 reason"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in sorted(results, key=lambda x: x.row):
        outcome = "已接收 accepted" if r.event_id else "已拒收 rejected"
        sheet.append([r.row, outcome, r.event_id or "", r.field or "", r.reason or ""])
    for letter, width in zip("ABCDE", (10, 18, 40, 30, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    temporary = path.with_name("." + path.name + ".tmp")
    book.save(temporary)
    temporary.replace(path)


def write_template(path: Path, header: Sequence[str], notes: Sequence[Sequence[str]]) -> None:
    """An empty sheet with the column headers, and a second sheet explaining each column."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "数据"
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("填写说明")
    guide.append(["列名 column", "英文列名 alias", "必填 required", "取值 values"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for line in notes:
        guide.append(list(line))
    for letter, width in zip("ABCD", (36, 36, 10, 80), strict=True):
        guide.column_dimensions[letter].width = width
    book.save(path)
