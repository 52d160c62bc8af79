"""``sgbus sheet out|in`` on a SQLite inbox that ``sql-inbox`` filled: the form it writes, the
claims a filled form records (once), and ``sql-claims`` publishing them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from typer.testing import CliRunner

from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.events import ApprovalResult, Claim
from sgbus.cli import _register, app
from sgbus.connectors.sql.claim_form import CLAIMED_AT, CLAIMED_BY, EVENT_ID, HEADER
from sgbus.connectors.sql.claims import SqlClaimSource
from sgbus.connectors.sql.inbox import SqlInboxSink
from tests.unit.test_sql_bridge import PARTY, Errant, config, context, inbox_record, result


@pytest.fixture
def inbox(tmp_path: Path) -> tuple[SqlInboxSink, list[ApprovalResult]]:
    sink = SqlInboxSink(config(tmp_path), context(PARTY, Errant()))
    sink.open()
    items = [result(21), result(22)]
    sink.put([inbox_record(e, i) for i, e in enumerate(items)])
    return sink, items


def sheet(*args: str) -> Any:
    _register()
    return CliRunner().invoke(app, ["sheet", *args])


def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dept.db'}"


def fill(path: Path, claims: dict[str, tuple[Any, Any]], extra: Sequence[list[Any]] = ()) -> None:
    """Write 认领人/认领时间 on the rows of the items in ``claims``, and append ``extra`` rows."""
    book = load_workbook(path)
    ws = book.worksheets[0]
    by, at = HEADER.index(CLAIMED_BY) + 1, HEADER.index(CLAIMED_AT) + 1
    for r in range(2, ws.max_row + 1):
        event_id = ws.cell(r, 1).value
        if event_id in claims:
            ws.cell(r, by).value, ws.cell(r, at).value = claims[event_id]
    for cells in extra:
        ws.append(cells)
    book.save(path)


def row_numbers(form: Path) -> dict[str, int]:
    ws = load_workbook(form).worksheets[0]
    return {str(ws.cell(r, 1).value): r for r in range(2, ws.max_row + 1)}


def line_of(lines: list[str], event_id: str) -> str:
    (line,) = (ln for ln in lines if event_id in ln)
    return line


def test_the_form_lists_the_unclaimed_items_and_nothing_personal(
    tmp_path: Path, inbox: tuple[SqlInboxSink, list[ApprovalResult]]
) -> None:
    sink, items = inbox
    with sink.db.engine.begin() as conn:
        claimed = sink.table.c.event_id == str(items[1].envelope.event_id)
        conn.execute(update(sink.table).where(claimed).values(claimed_at=dt.datetime.now(dt.UTC)))
    target = tmp_path / "认领单.xlsx"
    got = sheet("out", "--url", url(tmp_path), "--out", str(target))
    assert got.exit_code == 0, got.output
    assert "1 item(s) to claim" in got.output
    ws = load_workbook(target).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == HEADER and ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width > 30
    (only,) = rows[1:]
    assert only[0] == str(items[0].envelope.event_id)
    assert only[HEADER.index("统一社会信用代码")] == items[0].licensee.uscc
    assert isinstance(only[HEADER.index("认领期限（北京时间）")], dt.datetime)
    cells = " ".join(str(c) for r in rows for c in r if c is not None)
    assert items[0].licensee.name not in cells  # the payload stays in the database
    everything = sheet("out", "--url", url(tmp_path), "--out", str(target), "--all")
    assert (
        "2 item(s): 1 to claim, 0 claimed and sent, 1 claimed and not sent yet" in everything.output
    )
    assert load_workbook(target).worksheets[0].max_row == 3


def test_a_filled_form_claims_once_and_sql_claims_publishes_the_claim(
    tmp_path: Path, inbox: tuple[SqlInboxSink, list[ApprovalResult]]
) -> None:
    sink, items = inbox
    form = tmp_path / "认领单.xlsx"
    assert sheet("out", "--url", url(tmp_path), "--out", str(form)).exit_code == 0
    first, second = (str(i.envelope.event_id) for i in items)
    typed = dt.datetime.now(CHINA_TZ).replace(second=0, microsecond=0)  # as an office types it
    fill(form, {first: ("王五", None), second: ("赵六", typed.strftime("%Y-%m-%d %H:%M"))})

    got = sheet("in", str(form), "--url", url(tmp_path))
    assert got.exit_code == 0, got.output
    assert "2 claimed, 0 unchanged, 0 refused" in got.output
    with sink.db.engine.connect() as conn:
        rows = {r.event_id: r for r in conn.execute(select(sink.table))}
    assert rows[first].claimed_by == "王五" and rows[first].claimed_at is not None
    assert rows[second].claimed_at == typed.astimezone(dt.UTC)

    again = sheet("in", str(form), "--url", url(tmp_path))  # the same form, read again
    assert again.exit_code == 0, again.output
    assert "0 claimed, 2 unchanged, 0 refused" in again.output
    with sink.db.engine.connect() as conn:
        assert {r.event_id: r for r in conn.execute(select(sink.table))} == rows

    source = SqlClaimSource(config(tmp_path), context(PARTY, Errant()))
    claims = {r.position: r.event for r in source.poll(10)}
    assert set(claims) == {first, second}
    published = claims[second]
    assert isinstance(published, Claim) and published.officer is not None
    assert published.officer.name == "赵六"


def test_refused_rows_are_reported_by_row_and_the_command_fails(
    tmp_path: Path, inbox: tuple[SqlInboxSink, list[ApprovalResult]]
) -> None:
    sink, items = inbox
    form = tmp_path / "认领单.xlsx"
    assert sheet("out", "--url", url(tmp_path), "--out", str(form)).exit_code == 0
    first, second = (str(i.envelope.event_id) for i in items)
    with sink.db.engine.begin() as conn:  # claimed meanwhile, by someone else
        at = dt.datetime.now(dt.UTC)
        where = sink.table.c.event_id == second
        conn.execute(update(sink.table).where(where).values(claimed_at=at, claimed_by="钱七"))
    unknown = "11111111-1111-4111-8111-111111111111"
    fill(
        form,
        {first: ("王五", "明天 9:00"), second: ("赵六", None)},
        extra=[[unknown, *[""] * (len(HEADER) - 3), "孙八", None]],
    )
    got = sheet("in", str(form), "--url", url(tmp_path))
    assert got.exit_code == 1, got.output
    lines = got.output.splitlines()
    assert "0 claimed, 0 unchanged, 3 refused" in got.output
    numbers = row_numbers(form)
    assert numbers[unknown] == 4
    said = {e: line_of(lines, e) for e in (first, second, unknown)}
    assert said[first].startswith(f"row {numbers[first]} ") and CLAIMED_AT in said[first]
    assert "not a time" in said[first]
    assert said[second].startswith(f"row {numbers[second]} ") and "claimed already" in said[second]
    assert "no such item" in said[unknown] and EVENT_ID in said[unknown]
    assert "钱七" not in got.output
    with sink.db.engine.connect() as conn:
        row = conn.execute(select(sink.table).where(sink.table.c.event_id == second)).one()
        assert row.claimed_by == "钱七"  # left as it was
        assert (
            conn.execute(
                select(sink.table.c.claimed_at).where(sink.table.c.event_id == first)
            ).scalar()
            is None
        )


def test_a_database_without_the_inbox_table_is_refused_and_not_created(tmp_path: Path) -> None:
    got = sheet("out", "--url", f"sqlite:///{tmp_path / 'none.db'}")
    assert got.exit_code == 2 and "run sql-inbox" in got.output
    assert not (tmp_path / "none.db").exists()
    neither = sheet("out")
    assert neither.exit_code == 2 and "--config" in neither.output


def test_the_office_configuration_names_the_database(
    tmp_path: Path, inbox: tuple[SqlInboxSink, list[ApprovalResult]]
) -> None:
    office = tmp_path / "office.yaml"
    office.write_text(f"party: {PARTY}\nurl: {url(tmp_path)}\n", encoding="utf-8")
    target = tmp_path / "form.xlsx"
    got = sheet("out", "--config", str(office), "--out", str(target))
    assert got.exit_code == 0, got.output
    assert "2 item(s) to claim" in got.output
    (event_id_column,) = (
        c for c in next(load_workbook(target).worksheets[0].rows) if c.value == EVENT_ID
    )
    assert event_id_column.column == 1
