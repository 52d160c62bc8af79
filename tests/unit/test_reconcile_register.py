"""Reading the decision register: CSV, XLSX and SQL; Chinese labels and English aliases; errors
that name the row and the column, never the cell's value."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from sgbus.bus.events import approval_case_key
from sgbus.bus.store import make_engine
from sgbus.reconcile.register import RegisterError, read_register

CHINESE = "行政许可决定文书号,行政区划代码,许可决定日期,事项名称,行政相对人名称,统一社会信用代码\n"


def write(tmp_path: Path, body: str, name: str = "register.csv") -> str:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_chinese_headers_and_the_bus_case_key(tmp_path: Path) -> None:
    src = write(
        tmp_path,
        CHINESE
        + "威审批〔2026〕 12号 ,371000,2026-09-30,食品经营许可,某某餐饮有限公司,"
        + "91371000MA3C000001\n",
    )
    (d,) = read_register(src)
    assert d.row == 2 and d.region == "371000" and d.decision_date == date(2026, 9, 30)
    assert d.case_key == approval_case_key("371000", "威审批〔2026〕 12号 ")
    assert d.case_key == "371000:威审批〔2026〕 12号"
    assert d.matter_name == "食品经营许可" and d.credit_code == "91371000MA3C000001"


def test_short_labels_english_aliases_and_a_default_region(tmp_path: Path) -> None:
    src = write(tmp_path, "Document_Number,decision_date,matter_code\nA-1,2026/10/09,WE-F-001\n")
    with pytest.raises(RegisterError, match="region"):
        read_register(src)
    (d,) = read_register(src, default_region="371000")
    assert d.case_key == "371000:A-1" and d.decision_date == date(2026, 10, 9)
    src2 = write(tmp_path, "许可决定文书号,区划,许可决定日期\nB-2,370784,2026年10月9日\n", "r2.csv")
    (d2,) = read_register(src2)
    assert d2.case_key == "370784:B-2" and d2.decision_date == date(2026, 10, 9)


def test_gbk_csv_from_excel(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        "许可决定文书号,区划,许可决定日期\n威审批1号,371000,2026-10-09\n".encode("gbk")
    )
    assert read_register(str(path))[0].document_number == "威审批1号"


def test_an_invalid_date_is_named_by_row_and_column_without_its_value(tmp_path: Path) -> None:
    src = write(
        tmp_path,
        CHINESE
        + "A-1,371000,2026-09-30,,,\n"
        + "\n"  # blank lines are skipped, but still count as spreadsheet rows
        + "A-2,371000,张三,,,\n",
    )
    with pytest.raises(RegisterError) as err:
        read_register(src)
    message = str(err.value)
    assert "row 4, column C (许可决定日期): not a date" in message
    assert "张三" not in message


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    src = write(tmp_path, CHINESE + ",371000,2026-09-30,,,\nA-2,37100,2026-09-30,,,\n")
    with pytest.raises(RegisterError) as err:
        read_register(src)
    assert "row 2, column A (行政许可决定文书号): empty" in str(err.value)
    assert "row 3, column B (行政区划代码): not a 6-digit division code" in str(err.value)


def test_a_missing_column_lists_the_accepted_headers(tmp_path: Path) -> None:
    src = write(tmp_path, "文书号,区划\nA-1,371000\n")
    with pytest.raises(RegisterError, match=r"decision_date; accepted headers: .*许可决定日期"):
        read_register(src)


def test_xlsx_with_date_cells_and_numeric_codes(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["行政许可决定文书号", "行政区划代码", "许可决定日期"])
    ws.append(["威审批〔2026〕1号", 371000, datetime(2026, 9, 30)])
    ws.append(["威审批〔2026〕2号", 371000, "30/09/2026"])
    path = tmp_path / "register.xlsx"
    wb.save(path)
    with pytest.raises(RegisterError, match=r"row 3, column C \(许可决定日期\): not a date"):
        read_register(str(path))
    ws.delete_rows(3)
    wb.save(path)
    (d,) = read_register(str(path))
    assert d.case_key == "371000:威审批〔2026〕1号" and d.decision_date == date(2026, 9, 30)


def test_a_sql_register(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bureau.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE decisions (wsh TEXT, qh TEXT, rq TEXT)"))
        conn.execute(text("INSERT INTO decisions VALUES ('A-1', '371000', '2026-09-30')"))
        conn.execute(text("INSERT INTO decisions VALUES ('A-2', '371000', 'soon')"))
    engine.dispose()
    query = "SELECT wsh AS document_number, qh AS region, rq AS decision_date FROM decisions"
    with pytest.raises(RegisterError, match="result row 2, column decision_date: not a date"):
        read_register(f"sql:{url}", query=query)
    (d,) = read_register(f"sql:{url}", query=query + " WHERE wsh = 'A-1'")
    assert d.case_key == "371000:A-1"
    with pytest.raises(RegisterError, match="needs --query"):
        read_register(f"sql:{url}")
    with pytest.raises(RegisterError, match="failed: OperationalError"):
        read_register(f"sql:{url}", query="SELECT * FROM nowhere")
