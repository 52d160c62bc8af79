"""The status report agrees with direct SQL counts over a store filled by the real ledger."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine, bindparam, text
from typer.testing import CliRunner

from sgbus.bus.store.types import UTCDateTime
from sgbus.cli import _register, app
from sgbus.monitoring.report import make_report
from sgbus.monitoring.report.workhours import CHINA_TZ
from tests.fixtures.report_seed import seed

START, END = date(2026, 11, 1), date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 9, tzinfo=CHINA_TZ)
LO, HI = datetime(2026, 11, 1, tzinfo=CHINA_TZ), datetime(2026, 12, 1, tzinfo=CHINA_TZ)

SQL = """
SELECT debtor, flow,
       COUNT(*),
       SUM(CASE WHEN state = 'discharged' THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'breached' AND answered_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'auto-resolved' THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'breached' THEN 1 ELSE 0 END)
FROM obligations
WHERE opened_at >= :lo AND opened_at < :hi
GROUP BY debtor, flow
"""


def _seed_with_edges(engine: Engine) -> int:
    """A month of obligations plus some opened just outside the period."""
    n = seed(engine, START, END, NOW)
    seed(engine, date(2026, 10, 30), date(2026, 10, 31), NOW, rng_seed=5)
    seed(engine, date(2026, 12, 1), date(2026, 12, 1), NOW, rng_seed=6)
    return n


def _direct_counts(engine: Engine) -> dict[tuple[str, str], tuple[int, ...]]:
    # The bounds go through the column type so SQLite compares stored UTC text like for like.
    stmt = text(SQL).bindparams(
        bindparam("lo", LO, type_=UTCDateTime()), bindparam("hi", HI, type_=UTCDateTime())
    )
    with engine.connect() as conn:
        return {(r[0], r[1]): tuple(int(x) for x in r[2:]) for r in conn.execute(stmt)}


def test_report_numbers_equal_a_direct_sql_count(store_engine: Engine) -> None:
    seeded = _seed_with_edges(store_engine)
    report = make_report(store_engine, START, END, NOW)
    got = {
        (ln.party, ln.flow): (
            ln.received,
            ln.on_time,
            ln.late,
            ln.auto_claimed,
            ln.still_open,
            ln.breaches,
        )
        for ln in report.lines
    }
    expected = _direct_counts(store_engine)
    assert got == expected
    assert report.total.received == seeded == sum(v[0] for v in expected.values())
    # the seed spreads outcomes: every column is exercised
    assert all(sum(v[i] for v in expected.values()) > 0 for i in range(6))


def test_cli_writes_each_format(tmp_path: Path) -> None:
    from sgbus.bus.store import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    engine = make_engine(url)
    migrate(engine)
    seeded = seed(engine, START, END, NOW)
    _register()
    runner = CliRunner()
    outs = {}
    for fmt in ("html", "csv", "xlsx"):
        out = tmp_path / f"r.{fmt}"
        res = runner.invoke(
            app,
            [
                "report",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--format",
                fmt,
                "--db",
                url,
                "--out",
                str(out),
            ],
        )
        assert res.exit_code == 0, res.output
        assert f"{seeded} received" in res.output
        outs[fmt] = out
    rows = list(csv.reader(io.StringIO(outs["csv"].read_text())))
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert (total["party"], total["flow"], total["received"]) == ("*", "*", str(seeded))
    assert load_workbook(outs["xlsx"])["Summary"].max_row == len(rows) + 1  # + title row
    assert "<svg" in outs["html"].read_text()


def test_cli_refuses_a_missing_store_and_a_reversed_period(tmp_path: Path) -> None:
    _register()
    runner = CliRunner()
    missing = runner.invoke(
        app,
        [
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--db",
            f"sqlite:///{tmp_path / 'nope.db'}",
        ],
    )
    assert missing.exit_code == 2 and "no store at" in missing.output
    assert not (tmp_path / "nope.db").exists()
    reversed_ = runner.invoke(
        app,
        [
            "report",
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-01",
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert reversed_.exit_code == 2 and "before" in reversed_.output
