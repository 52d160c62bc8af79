"""``sgbus reconcile`` end to end on a SQLite console store filled through the real projection:
the hand-worked expectations of :mod:`tests.fixtures.reconcile_seed`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from sgbus.bus.store import make_engine, migrate
from sgbus.cli import _register, app
from sgbus.reconcile.busfacts import deliveries
from tests.department_events import auto_claim_of
from tests.fixtures import reconcile_seed as seed
from tests.watchdog_kit import at

CASE = "371000:威审批〔2026〕{}号"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    engine = make_engine(url)
    migrate(engine)
    seed.seed(engine)
    yield url, engine
    engine.dispose()


def test_the_store_yields_one_delivery_per_party_with_its_claim(
    store: tuple[str, Engine],
) -> None:
    _, engine = store
    with engine.connect() as conn:
        got = deliveries(conn, [CASE.format(n) for n in (101, 102, 103, 104)])
    by = {(d.case_key, d.party): d for d in got}
    assert set(by) == {
        (CASE.format(101), "weihai-market"),
        (CASE.format(103), "weihai-market"),
        (CASE.format(104), "weihai-health"),
        (CASE.format(104), "weihai-market"),
    }
    assert by[CASE.format(101), "weihai-market"].claimed_at == at("2026-10-08", "09:30")
    unclaimed = by[CASE.format(104), "weihai-market"]
    assert unclaimed.claimed_at is None and unclaimed.auto_claimed_at is None
    # The watchdog's claim deadline: 3 working days after Fri 10-09 are Sat 10-10 (a
    # make-up working day), Mon 10-12 and Tue 10-13.
    assert unclaimed.claim_due_at == at("2026-10-14", "00:00")
    assert unclaimed.received_at == at("2026-10-09", "16:00")


def test_an_auto_claim_is_told_apart_from_the_departments_own(
    store: tuple[str, Engine],
) -> None:
    _, engine = store
    r104 = seed.events()[2]
    auto = auto_claim_of(r104, "weihai-market")
    auto = auto.model_copy(update={"claimed_at": at("2026-10-14", "00:00")})
    seed.seed(engine, [auto], first_offset=len(seed.events()))
    with engine.connect() as conn:
        got = [d for d in deliveries(conn, [CASE.format(104)]) if d.party == "weihai-market"]
    (d,) = got
    assert d.claimed_at is None and d.auto_claimed_at == at("2026-10-14", "00:00")


def run(*args: str) -> str:
    _register()
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_reports_the_hand_worked_findings(
    store: tuple[str, Engine], tmp_path: Path
) -> None:
    url, _ = store
    register = tmp_path / "register.csv"
    register.write_text(seed.REGISTER_CSV, encoding="utf-8")
    out = tmp_path / "findings.xlsx"
    text = run(
        "reconcile", "--decisions", str(register), "--from", "2026-09-01", "--to", "2026-10-31",
        "--db", url, "--policy", "weihai", "--as-of", seed.AS_OF, "--out", str(out),
    )  # fmt: skip
    assert "甲餐饮" not in text  # licensee names stay in the workbook
    wb = load_workbook(out)
    assert wb.sheetnames == ["概要", "未推送", "逾期推送", "未认领", "重复登记"]
    summary = {r[0]: r[1] for r in wb["概要"].iter_rows(values_only=True)}
    assert summary["核对决定 decisions compared"] == 4
    assert summary["未推送 never pushed"] == 1
    assert summary["逾期推送 pushed late"] == 1
    assert summary["未认领 never claimed"] == 1
    assert summary["重复登记 duplicate rows"] == 1

    def rows(sheet: str) -> list[tuple[object, ...]]:
        return list(wb[sheet].iter_rows(min_row=2, values_only=True))

    (never,) = rows("未推送")
    assert never[:3] == (3, CASE.format(102), "威审批〔2026〕102号")
    assert never[7] == "乙食品有限公司"
    (late,) = rows("逾期推送")
    assert late[0] == 4 and late[9:12] == (
        at("2026-10-11", "00:00").replace(tzinfo=None),
        at("2026-10-12", "09:00").replace(tzinfo=None),
        1,
    )
    (miss,) = rows("未认领")
    assert miss[0] == 5 and miss[9:12] == (
        "weihai-market",
        at("2026-10-09", "16:00").replace(tzinfo=None),
        "逾期未认领",
    )
    (dup,) = rows("重复登记")
    assert (dup[0], dup[9]) == (6, 2)


def test_before_the_claim_deadline_the_missing_claim_is_still_open(
    store: tuple[str, Engine], tmp_path: Path
) -> None:
    url, _ = store
    register = tmp_path / "register.csv"
    register.write_text(seed.REGISTER_CSV, encoding="utf-8")
    early = at("2026-10-13", "10:00").isoformat()
    text = run(
        "reconcile", "--decisions", str(register), "--from", "2026-10-09", "--to", "2026-10-09",
        "--db", url, "--policy", "weihai", "--as-of", early, "--claims", "any",
    )  # fmt: skip
    assert "未认领（未到期）" not in text  # health claimed: under "any" the decision is cleared
    text = run(
        "reconcile", "--decisions", str(register), "--from", "2026-10-09", "--to", "2026-10-09",
        "--db", url, "--policy", "weihai", "--as-of", early,
    )  # fmt: skip
    assert "未认领（未到期）" in text and "weihai-market" in text


def test_a_bad_register_exits_2_naming_row_and_column(
    store: tuple[str, Engine], tmp_path: Path
) -> None:
    url, _ = store
    register = tmp_path / "register.csv"
    register.write_text(seed.REGISTER_CSV.replace("2026-10-09", "10/9"), encoding="utf-8")
    _register()
    result = CliRunner().invoke(
        app,
        ["reconcile", "--decisions", str(register), "--from", "2026-09-01", "--to", "2026-10-31",
         "--db", url, "--policy", "weihai"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "row 5, column C (许可决定日期): not a date" in result.output
