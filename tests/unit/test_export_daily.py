"""``sgbus export daily``: one XLSX per department of what reached it on a day, with its state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from sgbus.bus.calendar import default_calendar
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.policy import load_policy
from sgbus.bus.store import make_engine, migrate
from sgbus.cli import _register, app
from tests.unit.test_console_readmodel import MARKET, MON, Feed, W, audit
from tests.watchdog_kit import city_catalogue


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'console.db'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def feed(engine: Engine) -> Feed:
    policy, catalogue = load_policy("weihai"), city_catalogue("weihai")
    return Feed(engine, Ingestor(policy, default_calendar(), catalogue))


def test_each_department_gets_what_arrived_that_day_with_its_state(
    engine: Engine, feed: Feed, tmp_path: Path
) -> None:
    r1 = W.approval_result(1, MON, to=("market", "health"))
    r2 = W.approval_result(2, MON + timedelta(hours=2), to=("market",))
    later = W.approval_result(3, MON + timedelta(days=1), to=("market",))
    claim = W.claim(4, r1, "market", MON + timedelta(hours=3))
    feed(audit(r1), audit(r2), audit(later), audit(claim))
    _register()
    got = CliRunner().invoke(
        app,
        ["export", "daily", "--day", "2026-10-12", "--out", str(tmp_path / "x"),
         "--db", str(engine.url)],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    sheet = load_workbook(tmp_path / "x" / f"{MARKET}-2026-10-12.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("事项类型", "案件键")
    by_case = {r[1]: r for r in rows[1:]}
    assert set(by_case) == {r1.envelope.case_key, r2.envelope.case_key}
    assert by_case[r1.envelope.case_key][13] == "MANUAL"  # claimed, by hand
    assert by_case[r2.envelope.case_key][13] in (None, "")
    health = load_workbook(tmp_path / "x" / f"{W.party('health')}-2026-10-12.xlsx").worksheets[0]
    assert health.max_row == 2  # the header and r1


def test_a_bad_day_is_named(tmp_path: Path) -> None:
    _register()
    got = CliRunner().invoke(
        app, ["export", "daily", "--day", "12/10/2026", "--out", str(tmp_path)]
    )
    assert got.exit_code == 2 and "--day '12/10/2026'" in got.output
