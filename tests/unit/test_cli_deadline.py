"""``sgbus deadline``, ``sgbus policy`` and ``sgbus catalogue`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sgbus.cli import _register, app

_register()
RUN = CliRunner()


def test_deadline_prints_one_json_object() -> None:
    result = RUN.invoke(
        app,
        ["deadline", "--policy", "anqiu", "--flow", "claim", "--at", "2026-09-30T16:00:00+08:00"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["due_at"] == "2026-10-11T00:00:00+08:00"
    assert out["provisional"] is False
    assert out["working_days"] == 3
    assert out["rule"]["at_expiry"] == "auto-claim"
    assert out["source"] == "《安丘市行政审批与监管协调联动实施办法》第十八条(一)"
    assert out["remind_at"] == "2026-10-10T00:00:00+08:00"


def test_deadline_into_2027_then_with_an_override(tmp_path: Path) -> None:
    args = [
        "deadline",
        "--policy",
        "yingkou",
        "--flow",
        "claim",
        "--at",
        "2026-12-31T10:00:00+08:00",
    ]
    out = json.loads(RUN.invoke(app, args).stdout)
    assert out["provisional"] is True and out["due_at"] == "2027-01-06T00:00:00+08:00"
    override = tmp_path / "2027.yaml"
    override.write_text(
        "official_years: [2027]\nholidays:\n  - {from: 2027-01-01, to: 2027-01-04}\n",
        encoding="utf-8",
    )
    out = json.loads(RUN.invoke(app, [*args, "--calendar", str(override)]).stdout)
    assert out["provisional"] is False and out["due_at"] == "2027-01-07T00:00:00+08:00"


def test_promptly_days_option() -> None:
    args = ["deadline", "--policy", "weihai", "--flow", "approval-push"]
    out = json.loads(RUN.invoke(app, [*args, "--at", "2026-06-01T09:00:00+08:00"]).stdout)
    assert out["promptly_default"] is True and out["working_days"] == 3
    more = RUN.invoke(app, [*args, "--at", "2026-06-01T09:00:00+08:00", "--promptly-days", "5"])
    assert json.loads(more.stdout)["working_days"] == 5


def test_deadline_user_errors_exit_2() -> None:
    base = ["deadline", "--policy", "anqiu", "--flow", "claim", "--at"]
    naive = RUN.invoke(app, [*base, "2026-09-30T16:00:00"])
    assert naive.exit_code == 2 and "no UTC offset" in naive.stderr
    flow = RUN.invoke(app, ["deadline", "--policy", "anqiu", "--flow", "nope", "--at", "x"])
    assert flow.exit_code == 2 and "known flows: approval-push" in flow.stderr
    bad = RUN.invoke(app, ["deadline", "--policy", "anqiu", "--flow", "claim", "--at", "2026-9-3"])
    assert bad.exit_code == 2 and "not an ISO 8601 timestamp" in bad.stderr


def test_bad_calendar_file_names_the_line(tmp_path: Path) -> None:
    override = tmp_path / "bad.yaml"
    override.write_text("holidays:\n  - 2027-02-30\n", encoding="utf-8")
    result = RUN.invoke(
        app,
        ["deadline", "--policy", "anqiu", "--flow", "claim", "--at", "2026-12-31T10:00:00+08:00",
         "--calendar", str(override)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"{override}:2: holidays[0]: '2027-02-30' is not a valid date" in result.stderr


def test_policy_show_and_validate(tmp_path: Path) -> None:
    shown = RUN.invoke(app, ["policy", "show", "anqiu"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "auto-claim" in shown.stdout and "第十八条(一)" in shown.stdout
    listed = RUN.invoke(app, ["policy", "list"], env={"COLUMNS": "200"})
    assert all(
        name in listed.stdout for name in ("weihai", "zichuan", "ankang", "anqiu", "yingkou")
    )
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x1\ntitle: t\nsource: abc\nrules: []\n", encoding="utf-8")
    result = RUN.invoke(app, ["policy", "validate", str(bad)])
    assert result.exit_code == 2 and "line 4: rules: List should have at least 1" in result.stderr


def test_catalogue_show_and_validate(tmp_path: Path) -> None:
    shown = RUN.invoke(app, ["catalogue", "show", "--mode", "joint"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "WH-A2-004" in shown.stdout and "WH-A1-001" not in shown.stdout
    parties = RUN.invoke(app, ["catalogue", "show", "--parties"], env={"COLUMNS": "200"})
    assert "weihai-approval" in parties.stdout
    good = tmp_path / "c.csv"
    good.write_text(
        "code,name,mode,departments,region\nXY-001,取水许可,entrusted,xy-water,370100\n",
        encoding="utf-8",
    )
    ok = RUN.invoke(app, ["catalogue", "validate", str(good)])
    assert ok.exit_code == 0 and "valid catalogue 'catalogue'" in ok.stdout  # 'c' is too short
    assert "1 matters (1 entrusted)" in ok.stdout
    good.write_text(good.read_text(encoding="utf-8").replace("entrusted", "solo"), encoding="utf-8")
    bad = RUN.invoke(app, ["catalogue", "validate", str(good)])
    assert bad.exit_code == 2 and f"{good}:2: mode: Input should be" in bad.stderr


def test_catalogue_show_puts_the_party_id_beside_each_department_name() -> None:
    shown = RUN.invoke(
        app, ["catalogue", "show", "--party", "weihai-housing"], env={"COLUMNS": "300"}
    )
    assert shown.exit_code == 0, shown.output
    assert "威海市住房和城乡建设局 (weihai-housing)" in shown.stdout
    parties = RUN.invoke(app, ["catalogue", "show", "--parties"], env={"COLUMNS": "200"})
    row = next(line for line in parties.stdout.splitlines() if "weihai-housing" in line)
    assert "威海市住房和城乡建设局" in row
