"""The claim form's rules, without a database or a file: what a row shows, what a filled row
claims, and when a claim is recorded, left, or refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.claims import CLAIMABLE
from sgbus.connectors.sql.claim_form import (
    CLAIMED_AT,
    CLAIMED_BY,
    EVENT_ID,
    HEADER,
    FormClaim,
    FormError,
    FormItem,
    Outcome,
    decide,
    form_order,
    form_row,
    matter_name,
    read_form,
    state,
    summary,
)

NOW = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)  # 14:00 in Beijing
ID1 = "5bc8fbbc-bde5-4099-8164-d8399f767c45"
ID2 = "0b7f6c3e-8d1a-4f0e-9c57-3a2d41e5b6f8"
ARRIVED = dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.UTC)


def item(event_id: str = ID1, **changes: Any) -> FormItem:
    values: dict[str, Any] = {
        "event_id": event_id,
        "event_type": "ApprovalResult",
        "case_key": "371000:威审批〔2026〕888号",
        "matter_code": "WH-A1-001",
        "matter_name": "权限内企业投资项目核准",
        "licensee_uscc": "91371002MA3C8K2L59",
        "decision_date": dt.date(2026, 12, 4),
        "claim_deadline": dt.datetime(2026, 12, 10, 8, 0, tzinfo=dt.UTC),
        "received_at": ARRIVED,
    }
    return FormItem(**{**values, **changes})


def form(*rows: list[Any]) -> list[tuple[int, list[Any]]]:
    """Rows under the full header, numbered as the spreadsheet shows them (2, 3, …)."""
    return [(n, cells) for n, cells in enumerate(rows, start=2)]


def row(event_id: Any, by: Any = "", at: Any = None) -> list[Any]:
    cells: list[Any] = [""] * len(HEADER)
    cells[0], cells[-2], cells[-1] = event_id, by, at
    return cells


# -- out: what a row shows -----------------------------------------------------------------------


def test_a_row_shows_the_key_columns_and_the_deadline_in_beijing_time() -> None:
    cells = dict(zip(HEADER, form_row(item()), strict=True))
    assert cells[EVENT_ID] == ID1
    assert cells["事项类型"] == "审批结果"
    assert (cells["事项编码"], cells["事项名称"]) == ("WH-A1-001", "权限内企业投资项目核准")
    assert cells["统一社会信用代码"] == "91371002MA3C8K2L59"
    assert cells["认领期限（北京时间）"] == dt.datetime(2026, 12, 10, 16, 0)  # 08:00 UTC
    assert (cells["状态"], cells[CLAIMED_BY], cells[CLAIMED_AT]) == ("待认领", "", None)


def test_a_claimed_item_shows_who_and_when_and_whether_it_is_on_the_bus() -> None:
    at = dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC)
    claimed = item(claimed_at=at, claimed_by="王五")
    cells = form_row(claimed)
    assert cells[-2:] == ["王五", dt.datetime(2026, 12, 5, 9, 30)]
    assert state(claimed) == "已认领，待发送"
    sent = item(ID2, claimed_at=at, claim_event_id=ID1)
    assert summary([claimed, item(), sent]) == (
        "3 item(s): 1 to claim, 1 claimed and sent, 1 claimed and not sent yet"
    )
    assert state(item(claimed_at=at, claim_event_id=ID2)) == "已认领，已发送"
    assert state(item(claimed_at=at, claim_error="refused")).startswith("认领未发送")


def test_the_most_urgent_comes_first_and_items_without_a_deadline_last() -> None:
    soon = item(ID2, claim_deadline=dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    none = item("11111111-1111-4111-8111-111111111111", claim_deadline=None)
    assert [i.event_id for i in form_order([none, item(), soon])] == [
        ID2,
        ID1,
        none.event_id,
    ]


def test_the_matter_name_comes_from_the_payload_and_nothing_else_does() -> None:
    payload = {"matter": {"code": "X", "name": "食品经营许可"}, "licensee": {"name": "张三"}}
    assert matter_name(json.dumps(payload, ensure_ascii=False)) == "食品经营许可"
    assert matter_name("not json") is None
    assert matter_name('{"matter": null}') is None


# -- in: what a filled row says ------------------------------------------------------------------


def test_a_row_with_a_name_claims_its_item_now_unless_it_gives_a_time() -> None:
    reading = read_form(
        HEADER,
        form(
            row(ID1, "王五"),
            row(ID2, " 赵六 ", "2026-12-05 09:30"),
            row("", ""),
        ),
        NOW,
    )
    assert reading.refused == [] and reading.blank == 1
    first, second = reading.claims
    assert first == FormClaim(2, ID1, "王五", NOW)
    assert second == FormClaim(3, ID2, "赵六", dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 12, 5, 9, 30), dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC)),
        ("2026/12/05 09：30", dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC)),
        ("2026-12-05T09:30:00+08:00", dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC)),
        ("2026-12-05 01:30Z", dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC)),
    ],
)
def test_claim_times_are_beijing_time_unless_they_say_otherwise(
    value: Any, expected: dt.datetime
) -> None:
    (claim,) = read_form(HEADER, form(row(ID1, "王五", value)), NOW).claims
    assert claim.claimed_at == expected


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        (row(ID1, "王五", "昨天 15:30"), CLAIMED_AT, "not a time"),
        (row(ID1, "王五", "2026-12-05"), CLAIMED_AT, "a date and a time"),
        (row(ID1, "王五", dt.date(2026, 12, 5)), CLAIMED_AT, "a date and a time"),
        (row(ID1, "王五", 46000), CLAIMED_AT, "a date and a time"),
        (row(ID1, "王五", "2026-12-06 09:00"), CLAIMED_AT, "later than now"),
        (row("WH-A1-001", "王五"), EVENT_ID, "not an event id"),
        (row(None, "王五"), EVENT_ID, "empty"),
        (row(ID1, "王" * 101), CLAIMED_BY, "longer than 100"),
    ],
)
def test_a_bad_row_is_refused_naming_its_row_and_column(
    cells: list[Any], column: str, reason: str
) -> None:
    reading = read_form(HEADER, form(row(ID2, "赵六"), cells), NOW)
    assert [c.event_id for c in reading.claims] == [ID2]  # the good row still counts
    (refused,) = reading.refused
    assert (refused.row, refused.column) == (3, column)
    assert reason in refused.reason


def test_an_item_listed_twice_is_claimed_by_its_first_row() -> None:
    reading = read_form(HEADER, form(row(ID1, "王五"), row(ID1.upper(), "赵六")), NOW)
    assert [c.row for c in reading.claims] == [2]
    (refused,) = reading.refused
    assert (refused.row, refused.column) == (3, EVENT_ID) and "row 2" in refused.reason


def test_a_form_is_read_by_its_column_names_in_any_order() -> None:
    header = [CLAIMED_BY, "备注", EVENT_ID]
    (claim,) = read_form(header, [(2, ["王五", "x", ID1])], NOW).claims
    assert (claim.event_id, claim.claimed_by) == (ID1, "王五")


def test_a_sheet_that_is_no_claim_form_is_refused_as_a_whole() -> None:
    with pytest.raises(FormError, match="认领人"):
        read_form([EVENT_ID, "案件键"], [(2, [ID1, "x"])], NOW)


# -- in: whether a claim is recorded -------------------------------------------------------------


def claim(by: str = "王五", at: dt.datetime = NOW) -> FormClaim:
    return FormClaim(2, ID1, by, at)


def test_an_unclaimed_item_is_claimed() -> None:
    assert decide(claim(), item(), CLAIMABLE).outcome is Outcome.CLAIMED


def test_an_unknown_item_is_refused() -> None:
    got = decide(claim(), None, CLAIMABLE)
    assert (got.outcome, got.column) == (Outcome.REFUSED, EVENT_ID)


def test_the_same_claim_again_changes_nothing_and_another_claim_is_left() -> None:
    claimed = item(claimed_at=ARRIVED, claimed_by="王五")
    assert decide(claim(), claimed, CLAIMABLE).outcome is Outcome.UNCHANGED
    other = decide(claim("赵六"), claimed, CLAIMABLE)
    assert (other.outcome, other.column) == (Outcome.REFUSED, CLAIMED_BY)
    assert "王五" not in other.reason and "赵六" not in other.reason  # no officer's name


def test_an_item_that_is_not_claimed_or_a_time_before_it_arrived_is_refused() -> None:
    receipt = item(event_type="ClaimReceipt")
    assert decide(claim(), receipt, CLAIMABLE).outcome is Outcome.REFUSED
    early = decide(claim(at=ARRIVED - dt.timedelta(days=1)), item(), CLAIMABLE)
    assert (early.outcome, early.column) == (Outcome.REFUSED, CLAIMED_AT)


def test_beijing_midnight_is_the_previous_day_in_utc() -> None:
    midnight = dt.datetime(2026, 12, 5, 0, 0, tzinfo=CHINA_TZ)
    (c,) = read_form(HEADER, form(row(ID1, "王五", "2026-12-05 00:00")), NOW).claims
    assert c.claimed_at == midnight.astimezone(dt.UTC)
    assert c.claimed_at.day == 4
