"""The 通报 as the cities publish it: month and quarter periods, parties under the on-time
threshold named first, urgings, disputes and transfers per party, names people read.

A hand-worked November 2026 (Asia/Shanghai) over four 威海 parties:

==================  ========  =======  ==========================================  =========
party               received  on time  other outcomes                              rate
==================  ========  =======  ==========================================  =========
weihai-housing      4         3        1 transferred to weihai-drc                 3/3 = 1
weihai-drc          2         2        (one disputed, then ruled back to it)       2/2 = 1
weihai-health       6         3        1 breach, 1 auto-claimed, 1 disputed        3/5 = 0.6
weihai-approval     2         2        (approval-push: pushes)                     2/2 = 1
==================  ========  =======  ==========================================  =========

Actions in November: weihai-health urged 3 times (u1 on two of its obligations for one item
counts once; u3 on an October item counts; u4 in December does not) and disputes once;
weihai-drc disputes once and receives the transfer weihai-housing made.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from sgbus.bus.calendar import CHINA_TZ, Deadline
from sgbus.bus.catalogue import display_name, example_catalogue, labelled
from sgbus.bus.obligations.actions import ActionKind, ItemAction
from sgbus.bus.store import make_engine, migrate
from sgbus.cli import _register, app
from sgbus.consumers.watchdog.item_actions import apply_actions
from sgbus.consumers.watchdog.ledger import apply_batch
from sgbus.monitoring.report import make_report
from sgbus.monitoring.report.actions import ActionCounts
from sgbus.monitoring.report.html import render_html
from sgbus.monitoring.report.model import ObligationFacts, Report, build_report, period_bounds
from sgbus.monitoring.report.periods import month_period, period_label, quarter_period
from sgbus.monitoring.report.tabular import HEADER, render_csv, write_xlsx
from tests import factories


def cst(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CHINA_TZ)


def fact(
    req: str,
    debtor: str,
    state: str,
    opened: datetime,
    *,
    flow: str = "claim",
    answered: datetime | None = None,
    transitions: tuple[tuple[str, datetime], ...] = (),
    urgings: tuple[tuple[str, datetime], ...] = (),
    request_type: str = "ApprovalResult",
    handed_over_from: str | None = None,
) -> ObligationFacts:
    if answered is None and state == "discharged":
        answered = opened + timedelta(hours=2)
    return ObligationFacts(
        flow,
        debtor,
        opened,
        opened + timedelta(days=3),
        state,
        answered,
        request_event_id=req,
        request_event_type=request_type,
        handed_over_from=handed_over_from,
        transitions=(("open", opened), *transitions),
        urgings=urgings,
    )


HOUSING, DRC, HEALTH, APPROVAL = "weihai-housing", "weihai-drc", "weihai-health", "weihai-approval"
FACTS = [
    fact("r1", HOUSING, "discharged", cst(11, 2)),
    fact("r2", HOUSING, "discharged", cst(11, 3)),
    fact("r3", HOUSING, "discharged", cst(11, 4)),
    fact("r4", HOUSING, "transferred", cst(11, 4), transitions=(("transferred", cst(11, 5)),)),
    fact(
        "t1", DRC, "discharged", cst(11, 5), request_type="ItemTransfer", handed_over_from=HOUSING
    ),
    fact(
        "r9",
        DRC,
        "discharged",
        cst(11, 19),
        transitions=(("suspended", cst(11, 20)), ("open", cst(11, 24))),
    ),
    fact("r5", HEALTH, "breached", cst(11, 9), urgings=(("u1", cst(11, 10)), ("u2", cst(11, 11)))),
    # the same item's second obligation, urged by the same urging: still one urging
    fact(
        "r5",
        HEALTH,
        "discharged",
        cst(11, 9),
        flow="verification-claim",
        urgings=(("u1", cst(11, 10)),),
    ),
    fact("r6", HEALTH, "auto-resolved", cst(11, 10)),
    fact("r7", HEALTH, "discharged", cst(11, 11)),
    fact("r8", HEALTH, "suspended", cst(11, 12), transitions=(("suspended", cst(11, 13)),)),
    # 00:30 on 1 November in Shanghai is still 31 October in UTC: inside the month
    fact(
        "r11",
        HEALTH,
        "discharged",
        datetime(2026, 10, 31, 16, 30, tzinfo=UTC),
        urgings=(("u4", cst(12, 1)),),
    ),
    # opened in October (not received in November), urged in November (counted)
    fact("r10", HEALTH, "discharged", cst(10, 20), urgings=(("u3", cst(11, 3)),)),
    # 00:30 on 1 December in Shanghai: outside the month
    fact("r12", HEALTH, "breached", datetime(2026, 11, 30, 16, 30, tzinfo=UTC)),
    fact("p1", APPROVAL, "discharged", cst(11, 2), flow="approval-push"),
    fact("p2", APPROVAL, "discharged", cst(11, 16), flow="approval-push"),
]
NAMES = example_catalogue().names
NOW = cst(12, 1, 9)


def november(name_below: float = 0.9) -> Report:
    start, end = month_period("2026-11")
    return build_report(FACTS, start, end, NOW, names=NAMES, name_below=name_below)


def test_month_and_quarter_periods_and_their_shanghai_bounds() -> None:
    assert month_period("2026-11") == (date(2026, 11, 1), date(2026, 11, 30))
    assert month_period("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert quarter_period("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_period("2027-q1") == (date(2027, 1, 1), date(2027, 3, 31))
    lo, hi = period_bounds(*quarter_period("2026Q4"))
    assert (lo.isoformat(), hi.isoformat()) == (
        "2026-10-01T00:00:00+08:00",
        "2027-01-01T00:00:00+08:00",
    )
    for bad in ("2026-13", "2026-1", "26-11"):
        with pytest.raises(ValueError, match="not a month"):
            month_period(bad)
    with pytest.raises(ValueError, match="not a quarter"):
        quarter_period("2026Q5")
    assert period_label(*month_period("2026-11")) == "2026年11月"
    assert period_label(*quarter_period("2026Q4")) == "2026年第四季度"
    assert period_label(date(2026, 11, 2), date(2026, 11, 8)) == "2026-11-02 至 2026-11-08"


def test_the_hand_worked_month() -> None:
    r = november()
    totals = {t.party: t for t in r.party_totals}
    got = {
        p: (t.received, t.on_time, t.auto_claimed, t.breaches, t.disputed, t.transferred)
        for p, t in totals.items()
    }
    assert got == {
        HOUSING: (4, 3, 0, 0, 0, 1),
        DRC: (2, 2, 0, 0, 0, 0),
        HEALTH: (6, 3, 1, 1, 1, 0),
        APPROVAL: (2, 2, 0, 0, 0, 0),
    }
    assert totals[HEALTH].on_time_rate == pytest.approx(0.6)
    assert totals[HOUSING].on_time_rate == 1.0  # a transfer is not judged, and not a breach
    assert r.total.received == 14  # r10 (October) and r12 (1 December in Shanghai) left out
    assert r.total.received == sum(
        getattr(r.total, k)
        for k in ("on_time", "auto_claimed", "breaches", "still_open", "disputed", "transferred")
    )


def test_actions_are_counted_per_party_once_each_in_the_period() -> None:
    r = november()
    assert r.actions == [
        ActionCounts(DRC, disputed=1, transferred_in=1),
        ActionCounts(HEALTH, urged=3, disputed=1),
        ActionCounts(HOUSING, transferred_out=1),
    ]
    assert r.action_total == ActionCounts(
        "*", urged=3, disputed=2, transferred_out=1, transferred_in=1
    )
    assert r.actions_of(APPROVAL) == ActionCounts(APPROVAL)


def test_parties_under_the_threshold_are_named_lowest_first() -> None:
    assert [t.party for t in november().named] == [HEALTH]
    assert november(0.6).named == []  # "under": 0.6 is not under 0.6
    assert [t.party for t in november(0.61).named] == [HEALTH]
    assert november(0.0).named == []
    # 青海: units late more than half the time; health is late 2 times in 5
    assert november(0.5).named == []
    with pytest.raises(ValueError, match="between 0 and 1"):
        november(1.5)


def test_names_people_read() -> None:
    assert display_name(NAMES, HOUSING) == "威海市住房和城乡建设局"
    assert labelled(NAMES, HOUSING) == "威海市住房和城乡建设局 (weihai-housing)"
    assert display_name(NAMES, "nobody-knows") == labelled(NAMES, "nobody-knows") == "nobody-knows"
    assert display_name(NAMES, "watchdog") == "审管联动平台时限监控"
    cat = example_catalogue()
    assert cat.display_name(HOUSING) == "威海市住房和城乡建设局"
    assert cat.labelled("x-y") == "x-y"


def test_html_names_first_labels_each_flow_and_counts_actions() -> None:
    page = render_html(november(), "sqlite:///w.db")
    assert "审管联动办理情况通报(2026年11月)" in page
    named, charts, table, actions = (
        page.index(h) for h in ("一、点名通报", "二、图表", "三、分部门", "四、督办")
    )
    assert named < charts < table < actions
    first = page[named:charts]
    assert "威海市卫生健康委员会" in first and "60.0%" in first
    assert "威海市住房和城乡建设局" not in first
    assert "审批结果推送<small>approval-push · 计推送 counts pushes</small>" in page
    assert "审批结果认领<small>claim · 计认领 counts claims</small>" in page
    assert "Claimed on time" not in page and "按时认领" not in page
    assert "威海市住房和城乡建设局 合计<small>weihai-housing · total</small>" in page
    section = page[actions:]
    assert "<td>3</td><td>1</td><td>0</td><td>0</td>" in section  # health: urged 3, 1 dispute


def test_csv_and_xlsx_carry_names_named_and_actions(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(november()))))
    assert tuple(rows[0]) == HEADER
    by = {(r["party"], r["flow"]): r for r in rows}
    health = by[(HEALTH, "*")]
    assert health["party_name"] == "威海市卫生健康委员会"
    assert (health["named"], health["urged"], health["disputes_raised"]) == ("1", "3", "1")
    assert by[(HOUSING, "*")]["transferred_out"] == "1" and by[(HOUSING, "*")]["named"] == "0"
    assert by[(APPROVAL, "approval-push")]["counts"] == "pushes"
    assert by[(HEALTH, "claim")]["urged"] == ""  # actions are per party, on its total
    assert by[("*", "*")]["urged"] == "3"
    out = tmp_path / "r.xlsx"
    write_xlsx(november(), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Named", "Summary", "Actions", "On-time rate", "Daily volume"]
    named = list(wb["Named"].iter_rows(min_row=3, values_only=True))
    assert [(n[0], n[1], n[6]) for n in named] == [(HEALTH, "威海市卫生健康委员会", 3)]
    acts = list(wb["Actions"].iter_rows(min_row=3, values_only=True))
    assert acts[-1] == ("*", "全部单位 All parties", 3, 2, 1, 1)


# -- through the watchdog's real ledger and store ----------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    oct_item = factories.opening("oct", debtor=HEALTH, opened_at=cst(10, 28))
    items = [factories.opening(f"n{i}", debtor=HOUSING, opened_at=cst(11, 2 + i)) for i in range(3)]

    def deadline_of(flow: str, region: str, at: datetime) -> tuple[Deadline, None]:
        return Deadline(at + timedelta(days=3), False, 3), None

    def act(
        kind: ActionKind, at: datetime, item: str, party: str, to: str | None = None
    ) -> ItemAction:
        return ItemAction(
            kind,
            f"{kind.value}-{item}-{at:%m%d}",
            "ItemTransfer" if kind is ActionKind.TRANSFER else "Urging",
            at,
            item,
            party,
            "371000",
            to,
        )

    with engine.begin() as conn:
        result = apply_batch(conn, [oct_item, *items], [])
        apply_actions(
            conn,
            [
                act(ActionKind.URGING, cst(10, 29), "oct", HEALTH),  # October: not counted
                act(ActionKind.URGING, cst(11, 2), "oct", HEALTH),
                act(ActionKind.TRANSFER, cst(11, 3), "n0", HOUSING, DRC),
                act(ActionKind.DISPUTE, cst(11, 4), "n1", HOUSING),
            ],
            deadline_of,
            result,
        )
    return engine


def test_the_store_gives_the_actions_of_items_opened_before_the_period(store: Engine) -> None:
    r = make_report(store, *month_period("2026-11"), NOW, names=NAMES)
    assert r.actions == [
        ActionCounts(DRC, transferred_in=1),
        ActionCounts(HEALTH, urged=1),
        ActionCounts(HOUSING, disputed=1, transferred_out=1),
    ]
    housing = next(t for t in r.party_totals if t.party == HOUSING)
    assert (housing.received, housing.transferred, housing.disputed, housing.still_open) == (
        3,
        1,
        1,
        1,
    )
    assert {t.party for t in r.party_totals} == {HOUSING, DRC}  # the October item is not received


def test_cli_month_names_and_threshold(store: Engine, tmp_path: Path) -> None:
    _register()
    url = str(store.url)
    out = tmp_path / "r.csv"
    args = ["report", "--month", "2026-11", "--db", url, "--format", "csv", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--name-below", "0.5"])
    assert res.exit_code == 0, res.output
    assert "2026年11月: 4 received" in res.output and "0 named under 50%" in res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["party_name"] for r in rows if r["party"] == DRC} == {"威海市发展和改革委员会"}
    both = CliRunner().invoke(app, [*args, "--quarter", "2026Q4"])
    assert both.exit_code == 2 and "one of --month, --quarter" in both.output
    half = CliRunner().invoke(app, ["report", "--from", "2026-11-01", "--db", url])
    assert half.exit_code == 2 and "go together" in half.output
