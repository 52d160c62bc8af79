"""The drop-folder source without a broker: spreadsheets with Chinese or English headers
become events, each file is worked through once across a restart, and its report says what
became of every row."""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from sgbus.bus.events import ApprovalResult
from sgbus.bus.settings import Settings
from sgbus.connectors.api import ConnectorContext, SourceRecord
from sgbus.connectors.files.columns import columns, event_to_cells
from sgbus.connectors.files.config import FileDropConfig
from sgbus.connectors.files.source import FileDropSource
from sgbus.producers.publisher import Receipt
from tests.unit.test_sql_bridge import Errant, result

BUREAU = "weihai-approval"


def source(folder: Path) -> tuple[FileDropSource, Errant]:
    errant = Errant()
    context = ConnectorContext("file-drop", BUREAU, Settings(), threading.Event(), errant)  # type: ignore[arg-type]
    src = FileDropSource(FileDropConfig(party=BUREAU, folder=folder, settle_s=0), context)
    src.open()
    src.start({})
    return src, errant


def rows_of(
    events: list[ApprovalResult], chinese: bool = True
) -> tuple[list[str], list[list[Any]]]:
    cols = [c for c in columns(ApprovalResult) if c.english != "event_id"]
    header = [c.chinese if chinese else c.english for c in cols]
    body = []
    for e in events:
        cells = event_to_cells(e)
        body.append([cells[c] for c in cols])
    return header, body


def write_xlsx(path: Path, header: list[str], body: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in body:
        sheet.append(row)
    book.save(path)
    return path


def publish(src: FileDropSource, records: list[SourceRecord]) -> None:
    receipts = [Receipt(str(r.event.envelope.event_id), "t", 0, i) for i, r in enumerate(records)]
    src.committed(records, receipts)


def report(path: Path) -> list[tuple[Any, ...]]:
    book = load_workbook(path)
    return [tuple(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]


def test_an_xlsx_with_chinese_headers_becomes_events_and_moves_to_done(tmp_path: Path) -> None:
    events = [result(1), result(2)]
    write_xlsx(tmp_path / "十二月.xlsx", *rows_of(events))
    src, _ = source(tmp_path)
    records = list(src.poll(10))
    assert [r.ref for r in records] == ["十二月.xlsx row 2", "十二月.xlsx row 3"]
    for record, original in zip(records, events, strict=True):
        got = record.event
        assert isinstance(got, ApprovalResult)
        assert got.licensee == original.licensee and got.decision_date == original.decision_date
        assert got.envelope.sender == BUREAU and got.envelope.case_key == original.envelope.case_key
    publish(src, records)
    assert src.poll(10) == []
    assert not (tmp_path / "十二月.xlsx").exists()
    lines = report(tmp_path / "done" / "十二月.xlsx.result.xlsx")
    assert [(r[0], r[1], r[2]) for r in lines] == [
        (2, "已接收 accepted", str(records[0].event.envelope.event_id)),
        (3, "已接收 accepted", str(records[1].event.envelope.event_id)),
    ]


def test_a_restart_halfway_publishes_the_rest_with_the_same_ids(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "batch.xlsx", *rows_of([result(i) for i in range(1, 6)]))
    src, _ = source(tmp_path)
    first = list(src.poll(2))
    publish(src, first)
    unsent = list(src.poll(2))  # polled, then killed before the broker answered
    again, _ = source(tmp_path)  # a new process
    resumed = list(again.poll(10))
    assert [r.position for r in resumed] == [4, 5, 6]
    assert resumed[0].event.envelope.event_id == unsent[0].event.envelope.event_id
    publish(again, resumed)
    assert again.poll(10) == []
    assert len(report(tmp_path / "done" / "batch.xlsx.result.xlsx")) == 5


def test_bad_rows_are_reported_by_column_and_the_file_goes_to_failed(tmp_path: Path) -> None:
    header, body = rows_of([result(1), result(2), result(3)], chinese=False)
    body[0][header.index("decision_date")] = "2026-13-45"
    body[1][header.index("decision_kind")] = "变卖"
    write_xlsx(tmp_path / "bad.xlsx", header, body)
    src, errant = source(tmp_path)
    (good,) = src.poll(10)
    publish(src, [good])
    assert src.poll(10) == []
    lines = report(tmp_path / "failed" / "bad.xlsx.result.xlsx")
    assert [(r[0], r[1], r[3]) for r in lines] == [
        (2, "已拒收 rejected", "许可决定日期"),
        (3, "已拒收 rejected", "许可决定类型"),
        (4, "已接收 accepted", None),  # an empty cell reads back as None
    ]
    assert "not one of 设立" in lines[1][4]
    assert [ref for ref, _ in errant.reports] == ["bad.xlsx row 2", "bad.xlsx row 3"]


def test_a_row_the_bus_refuses_is_in_the_report(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "one.xlsx", *rows_of([result(1)]))
    src, _ = source(tmp_path)
    (record,) = src.poll(10)
    src.rejected(record, "licensee.uscc: check digit wrong")
    assert src.poll(10) == []
    (line,) = report(tmp_path / "failed" / "one.xlsx.result.xlsx")
    assert line[1] == "已拒收 rejected" and line[4] == "licensee.uscc: check digit wrong"


def test_unknown_or_missing_columns_refuse_the_whole_file(tmp_path: Path) -> None:
    header, body = rows_of([result(1)])
    header[header.index("行政相对人.行政相对人名称")] = "企业名称"
    write_xlsx(tmp_path / "typo.xlsx", header, body)
    src, _ = source(tmp_path)
    assert src.poll(10) == []
    (line,) = report(tmp_path / "failed" / "typo.xlsx.result.xlsx")
    assert "unknown column(s): 企业名称" in line[4]


def test_a_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    header, body = rows_of([result(4)])
    with (tmp_path / "gbk.csv").open("w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in body])
    src, _ = source(tmp_path)
    (record,) = src.poll(10)
    assert record.event.licensee.name == result(4).licensee.name  # type: ignore[attr-defined]


def test_a_file_still_being_copied_waits(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "new.xlsx", *rows_of([result(1)]))
    errant = Errant()
    context = ConnectorContext("file-drop", BUREAU, Settings(), threading.Event(), errant)  # type: ignore[arg-type]
    src = FileDropSource(FileDropConfig(party=BUREAU, folder=tmp_path, settle_s=60), context)
    src.open()
    assert src.poll(10) == [] and src.pending() == 0
    old = time.time() - 120
    os.utime(tmp_path / "new.xlsx", (old, old))
    assert len(src.poll(10)) == 1


@pytest.mark.parametrize("bad", ["Approval", "approvalresult"])
def test_the_event_type_must_be_a_contract(bad: str) -> None:
    with pytest.raises(ValueError, match="not an event type"):
        FileDropConfig(party=BUREAU, folder=Path("."), event_type=bad)
