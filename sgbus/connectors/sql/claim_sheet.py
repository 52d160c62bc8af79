"""The claim form's I/O: the items of ``sgbus_inbox`` into an XLSX form, and the claims of a
filled form into ``sgbus_inbox`` (what :mod:`~sgbus.connectors.sql.claim_form` decides)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection, Engine, RowMapping, Table, select, update

from sgbus.bus.claims import CLAIMABLE
from sgbus.connectors.files.sheets import read_sheet
from sgbus.connectors.sql.claim_form import (
    CLAIMED_BY,
    HEADER,
    WIDTHS,
    Decision,
    FormClaim,
    FormItem,
    Outcome,
    Reading,
    decide,
    form_order,
    form_row,
    matter_name,
    read_form,
)

_TO_FILL = PatternFill("solid", start_color="FFF2CC")  # the columns the office fills in
_TIME_FORMAT = "yyyy-mm-dd hh:mm"


def load_items(engine: Engine, table: Table, everything: bool = False) -> list[FormItem]:
    """The claimable items of ``table``, the most urgent first; unclaimed ones only unless
    ``everything``."""
    c = table.c
    query = select(
        c.event_id,
        c.event_type,
        c.case_key,
        c.matter_code,
        c.payload,
        c.licensee_uscc,
        c.decision_date,
        c.claim_deadline,
        c.received_at,
        c.claimed_at,
        c.claimed_by,
        c.claim_event_id,
        c.claim_error,
    ).where(c.event_type.in_(sorted(CLAIMABLE)))
    if not everything:
        query = query.where(c.claimed_at.is_(None))
    with engine.connect() as conn:
        return form_order([_item(r) for r in conn.execute(query).mappings()])


def _item(m: RowMapping) -> FormItem:
    return FormItem(
        event_id=m["event_id"],
        event_type=m["event_type"],
        case_key=m["case_key"],
        matter_code=m["matter_code"],
        matter_name=matter_name(m["payload"]),
        licensee_uscc=m["licensee_uscc"],
        decision_date=m["decision_date"],
        claim_deadline=m["claim_deadline"],
        received_at=m["received_at"],
        claimed_at=m["claimed_at"],
        claimed_by=m["claimed_by"],
        claim_event_id=m["claim_event_id"],
        claim_error=m["claim_error"],
    )


def write_form(path: Path, items: Sequence[FormItem], title: str = "认领单") -> None:
    """The claim form: a header row (frozen), one row per item, the columns to fill marked."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in items:
        sheet.append(form_row(item))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    deadline, by, at = HEADER.index("认领期限（北京时间）") + 1, len(HEADER) - 1, len(HEADER)
    for row in range(2, len(items) + 2):
        sheet.cell(row, deadline).number_format = _TIME_FORMAT
        sheet.cell(row, at).number_format = _TIME_FORMAT  # what the office types is a time
        sheet.cell(row, by).fill = _TO_FILL
        sheet.cell(row, at).fill = _TO_FILL
    sheet.freeze_panes = "A2"
    temporary = path.with_name("." + path.name + ".tmp")
    book.save(temporary)
    temporary.replace(path)


def read_form_file(path: Path, now: dt.datetime) -> Reading:
    """The claims of a filled form (XLSX, or CSV saved from it)."""
    sheet = read_sheet(path)
    return read_form(sheet.header, sheet.rows, now)


@dataclass(frozen=True)
class RowOutcome:
    """What reading one row of the form did."""

    row: int
    event_id: str | None
    outcome: Outcome
    column: str | None = None
    reason: str = ""


def record_claims(engine: Engine, table: Table, claims: Sequence[FormClaim]) -> list[RowOutcome]:
    """Record each claim where its item is still unclaimed, in one transaction; the others are
    left as they are, with the reason."""
    with engine.begin() as conn:
        return [_record(conn, table, claim) for claim in claims]


def _record(conn: Connection, table: Table, claim: FormClaim) -> RowOutcome:
    c = table.c
    query = select(c.event_id, c.event_type, c.received_at, c.claimed_at, c.claimed_by)
    row = conn.execute(query.where(c.event_id == claim.event_id)).mappings().first()
    decision = decide(claim, _current(row) if row else None, CLAIMABLE)
    if decision.outcome is Outcome.CLAIMED:
        done = conn.execute(
            update(table)
            .where(c.event_id == claim.event_id, c.claimed_at.is_(None))
            .values(claimed_at=claim.claimed_at, claimed_by=claim.claimed_by)
        )
        if done.rowcount != 1:  # claimed meanwhile by another writer
            decision = Decision(Outcome.REFUSED, "claimed meanwhile; left as it is", CLAIMED_BY)
    return RowOutcome(claim.row, claim.event_id, decision.outcome, decision.column, decision.reason)


def _current(m: RowMapping) -> FormItem:
    return FormItem(
        event_id=m["event_id"],
        event_type=m["event_type"],
        case_key="",
        matter_code=None,
        matter_name=None,
        licensee_uscc=None,
        decision_date=None,
        claim_deadline=None,
        received_at=m["received_at"],
        claimed_at=m["claimed_at"],
        claimed_by=m["claimed_by"],
    )
