"""Report arithmetic on hand-made obligations, and its output formats."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sgbus.monitoring.report.charts import _nice_ceiling, daily_columns, rate_bars, rate_colour
from sgbus.monitoring.report.html import render_html
from sgbus.monitoring.report.model import ObligationFacts, Report, build_report, period_bounds
from sgbus.monitoring.report.tabular import HEADER, render_csv, write_xlsx
from sgbus.monitoring.report.workhours import CHINA_TZ

MON = datetime(2026, 11, 16, 9, tzinfo=CHINA_TZ)
DUE = datetime(2026, 11, 20, 0, tzinfo=CHINA_TZ)  # 3 working days after Monday


def fact(
    state: str,
    answered_h: float | None = None,
    debtor: str = "wq-market",
    flow: str = "claim",
    opened: datetime = MON,
) -> ObligationFacts:
    answered = None if answered_h is None else opened + timedelta(hours=answered_h)
    return ObligationFacts(flow, debtor, opened, DUE, state, answered)


FACTS = [
    fact("discharged", 2),
    fact("discharged", 10),
    fact("discharged", 30),
    fact("auto-resolved"),
    fact("auto-resolved", 100),  # answered after the system claimed: stays auto-claimed
    fact("breached", 90, flow="verification-claim"),  # late
    fact("breached", None, flow="verification-claim"),
    fact("open", debtor="wq-health"),
    fact("discharged", 5, opened=datetime(2026, 11, 15, 23, 59, tzinfo=CHINA_TZ)),  # before
    fact("discharged", 5, opened=datetime(2026, 11, 23, 0, 0, tzinfo=CHINA_TZ)),  # after
]
NOW = datetime(2026, 11, 30, tzinfo=CHINA_TZ)


def report() -> Report:
    return build_report(FACTS, date(2026, 11, 16), date(2026, 11, 22), NOW)


def test_lines_follow_the_definitions() -> None:
    r = report()
    by = {(ln.party, ln.flow): ln for ln in r.lines}
    claim = by[("wq-market", "claim")]
    assert (
        claim.received,
        claim.on_time,
        claim.late,
        claim.auto_claimed,
        claim.breaches,
        claim.still_open,
    ) == (5, 3, 0, 2, 0, 0)
    assert claim.median_claim_hours == 10.0  # Monday 09:00 + 10 h, all on a working day
    verif = by[("wq-market", "verification-claim")]
    assert (verif.received, verif.late, verif.breaches, verif.on_time) == (2, 1, 2, 0)
    assert verif.on_time_rate == 0.0
    health = by[("wq-health", "claim")]
    assert health.still_open == 1 and health.on_time_rate is None


def test_party_totals_and_grand_total_add_up_and_the_period_is_inclusive() -> None:
    r = report()
    market = next(t for t in r.party_totals if t.party == "wq-market")
    assert market.received == 7 and market.on_time_rate == pytest.approx(3 / 7)
    assert r.total.received == 8  # the two outside the period are left out
    assert (
        r.total.received
        == r.total.on_time + r.total.auto_claimed + r.total.breaches + r.total.still_open
    )
    assert r.daily == [
        (date(2026, 11, 16) + timedelta(days=i), 8 if i == 0 else 0) for i in range(7)
    ]


def test_claim_time_counts_working_hours_only() -> None:
    friday = datetime(2026, 11, 20, 16, tzinfo=CHINA_TZ)
    f = ObligationFacts(
        "claim",
        "wq-market",
        friday,
        friday + timedelta(days=5),
        "discharged",
        datetime(2026, 11, 23, 9, tzinfo=CHINA_TZ),
    )
    r = build_report([f], date(2026, 11, 20), date(2026, 11, 20), NOW)
    assert r.total.median_claim_hours == pytest.approx(17.0)


def test_period_bounds_are_shanghai_midnights_and_refuse_a_reversed_period() -> None:
    lo, hi = period_bounds(date(2026, 11, 1), date(2026, 11, 30))
    assert lo.isoformat() == "2026-11-01T00:00:00+08:00"
    assert hi.isoformat() == "2026-12-01T00:00:00+08:00"
    with pytest.raises(ValueError, match="before"):
        period_bounds(date(2026, 11, 2), date(2026, 11, 1))


def test_html_is_self_contained_and_shows_every_line() -> None:
    page = render_html(report(), "sqlite:///watchdog.db")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert page.count("<svg") == 2
    assert "verification-claim" in page and "wq-health 合计<small>wq-health · total" in page
    assert "42.9%" in page  # wq-market on-time rate 3/7


def test_csv_has_the_header_and_one_row_per_line() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(report()))))
    assert tuple(rows[0]) == HEADER
    by = {(r[0], r[2]): dict(zip(HEADER, r, strict=True)) for r in rows[1:]}
    verif = by[("wq-market", "verification-claim")]
    cols = ("received", "on_time", "late", "auto_resolved", "still_open", "breaches")
    assert [verif[c] for c in cols] == ["2", "0", "1", "0", "0", "2"]
    assert by[("wq-health", "claim")]["on_time_rate"] == ""  # no rate yet
    assert by[("*", "*")]["received"] == "8"


def test_xlsx_holds_the_table_rates_and_daily_volume(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(report(), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Named", "Summary", "Actions", "On-time rate", "Daily volume"]
    summary = [list(r) for r in wb["Summary"].iter_rows(min_row=3, values_only=True)]
    assert summary[-1][:5] == ["*", "全部单位 All parties", "*", None, 8]
    rates = dict(wb["On-time rate"].iter_rows(min_row=2, values_only=True))
    assert rates["wq-market"] == pytest.approx(3 / 7, abs=1e-4) and rates["wq-health"] is None
    assert wb["Daily volume"].max_row == 8


def test_chart_helpers() -> None:
    assert [_nice_ceiling(v) for v in (0, 3, 7, 14, 23, 130)] == [4, 4, 10, 20, 25, 200]
    assert rate_colour(0.95) != rate_colour(0.94) != rate_colour(0.5)
    svg = rate_bars([("wq-a", 1.0), ("wq-b", None)])
    assert "100.0%" in svg and "n/a" in svg
    cols = daily_columns([(date(2026, 11, 1) + timedelta(days=i), i) for i in range(30)])
    assert cols.count("<rect") == 30 and "2026-11-29: 28" in cols
    assert "<b>" not in rate_bars([("<b>", 0.5)])  # labels are escaped
