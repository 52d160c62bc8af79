"""Read the bureau's decision register: a CSV or XLSX file, or a SQL query.

Every problem names the row and the column it is in (as a spreadsheet shows them: data start at
row 2, under the header). Cell values are never repeated in messages: a misplaced column may
hold a licensee's name or ID number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl.utils import get_column_letter

from sgbus.bus.events import approval_case_key
from sgbus.reconcile.columns import REQUIRED, column_of, contract_labels, header_help
from sgbus.reconcile.model import Decision

SQL_PREFIX = "sql:"
_REGION = re.compile(r"^\d{6}$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_MAX_ERRORS = 10


class RegisterError(ValueError):
    """The register cannot be read; the message names each bad row and column."""


class _Table:
    """Header and numbered rows of one source, and how it names a column position."""

    def __init__(
        self, header: Sequence[object], rows: Iterable[tuple[int, Sequence[object]]], sql: bool
    ) -> None:
        self.header, self.rows, self.sql = list(header), rows, sql

    def where(self, row: int, index: int) -> str:
        name = str(self.header[index]).strip()
        if self.sql:
            return f"result row {row}, column {name}"
        return f"row {row}, column {get_column_letter(index + 1)} ({name})"


def read_register(
    source: str, *, query: str | None = None, default_region: str | None = None
) -> list[Decision]:
    """The decisions of ``source``: a ``.csv``/``.xlsx`` path, or ``sql:<SQLAlchemy URL>`` with
    ``query``. ``default_region`` stands in for a missing or empty region column."""
    if default_region is not None and not _REGION.match(default_region):
        raise RegisterError("--region must be a 6-digit administrative division code")
    if source.startswith(SQL_PREFIX):
        if not query:
            raise RegisterError("a sql: register needs --query (SELECT … returning its columns)")
        return _decisions(_sql_table(source[len(SQL_PREFIX) :], query), default_region)
    if query:
        raise RegisterError("--query is only for a sql: register")
    path = Path(source)
    if not path.is_file():
        raise RegisterError(f"no register file at {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _decisions(_csv_table(path), default_region)
    if suffix in (".xlsx", ".xlsm"):
        return _decisions(_xlsx_table(path), default_region)
    raise RegisterError(f"{path.name}: a register is a .csv or .xlsx file, or sql:<url>")


def _csv_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves CSV in GBK unless told otherwise.
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise RegisterError(f"{path.name}: neither UTF-8 nor GB18030 text") from None


def _csv_table(path: Path) -> _Table:
    reader = csv.reader(io.StringIO(_csv_text(path), newline=""))
    header = next(reader, None)
    if header is None:
        raise RegisterError(f"{path.name}: the file is empty")
    return _Table(header, ((i, r) for i, r in enumerate(reader, start=2)), sql=False)


def _xlsx_table(path: Path) -> _Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise RegisterError(
            f"{path.name}: not a readable workbook ({type(exc).__name__})"
        ) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise RegisterError(f"{path.name}: the first sheet is empty")
    body = [(i, list(r)) for i, r in enumerate(rows, start=2)]
    wb.close()
    return _Table(list(header), body, sql=False)


def _sql_table(url: str, query: str) -> _Table:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from sgbus.bus.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(text(query))
            header = list(result.keys())
            body = [(i, list(r)) for i, r in enumerate(result, start=1)]
    except SQLAlchemyError as exc:
        # The driver's error class only: its text may repeat the statement and its values.
        where = engine.url.render_as_string(hide_password=True)
        raise RegisterError(f"register query on {where} failed: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    return _Table(header, body, sql=True)


def _decisions(table: _Table, default_region: str | None) -> list[Decision]:
    positions = _positions(table)
    if "region" not in positions and default_region is None:
        raise RegisterError(
            f"the register has no {contract_labels()['region']} / region column: give --region"
        )
    out: list[Decision] = []
    errors: list[str] = []
    for row, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        try:
            out.append(_decision(table, positions, row, cells, default_region))
        except RegisterError as exc:
            errors.append(str(exc))
    if errors:
        more = len(errors) - _MAX_ERRORS
        tail = [f"… and {more} more"] if more > 0 else []
        raise RegisterError("register not read:\n  " + "\n  ".join(errors[:_MAX_ERRORS] + tail))
    return out


def _positions(table: _Table) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, header in enumerate(table.header):
        column = column_of(header)
        if column is None:
            continue
        if column in positions:
            raise RegisterError(f"two columns name {column}: {table.where(1, index)} and another")
        positions[column] = index
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise RegisterError(
            f"the register lacks the column(s) {', '.join(missing)}; accepted headers: "
            + header_help()
        )
    return positions


def _decision(
    table: _Table,
    positions: dict[str, int],
    row: int,
    cells: Sequence[object],
    default_region: str | None,
) -> Decision:
    values = dict(_cells(positions, cells))

    def where(column: str) -> str:
        return table.where(row, positions[column])

    number = _text(values.get("document_number"))
    if number is None:
        raise RegisterError(f"{where('document_number')}: empty")
    region = _region(values.get("region"), default_region, where)
    decided = _date(values.get("decision_date"), where("decision_date"))
    return Decision(
        row=row,
        case_key=approval_case_key(region, number),
        document_number=" ".join(number.split()),
        region=region,
        decision_date=decided,
        matter_code=_text(values.get("matter_code")),
        matter_name=_text(values.get("matter_name")),
        licensee_name=_text(values.get("licensee_name")),
        credit_code=_text(values.get("credit_code")),
    )


def _cells(positions: dict[str, int], cells: Sequence[object]) -> Iterator[tuple[str, object]]:
    for column, index in positions.items():
        yield column, cells[index] if index < len(cells) else None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a numeric Excel cell
    return str(value).strip()


def _region(value: object, default: str | None, where: Callable[[str], str]) -> str:
    text = _text(value)
    if text is None:
        if default is None:
            raise RegisterError(f"{where('region')}: empty and no --region given")
        return default
    if not _REGION.match(text):
        raise RegisterError(f"{where('region')}: not a 6-digit division code")
    return text


def _date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        raise RegisterError(f"{where}: empty; the decision date is required")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RegisterError(f"{where}: not a date; write it as 2026-10-09 (or 2026年10月9日)")
