"""The CLI under a policy map: ``deadline``, ``policy show`` and ``catalogue show`` with
``--region``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sgbus.cli import _register, app

_register()
RUN = CliRunner()
AT = "2026-11-02T15:00:00+08:00"


def deadline(*args: str) -> dict[str, object]:
    result = RUN.invoke(app, ["deadline", "--flow", "claim", "--at", AT, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_deadline_under_the_map_is_the_regions_preset_json() -> None:
    assert deadline("--policy", "shandong", "--region", "370784") == deadline("--policy", "anqiu")
    assert deadline("--policy", "shandong", "--region", "371082") == deadline("--policy", "weihai")
    anqiu, weihai = deadline("--policy", "anqiu"), deadline("--policy", "weihai")
    assert (anqiu["at_expiry"], weihai["at_expiry"]) == ("auto-claim", "breach-report")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "shandong"], "give --region"),
        (["--policy", "shandong", "--region", "370500"], "not covered by policy map 'shandong'"),
    ],
)
def test_deadline_under_the_map_needs_a_covered_region(args: list[str], message: str) -> None:
    result = RUN.invoke(app, ["deadline", "--flow", "claim", "--at", AT, *args])
    assert result.exit_code == 2 and message in result.output


def test_a_single_preset_ignores_the_region_as_before() -> None:
    assert deadline("--policy", "anqiu", "--region", "371000") == deadline("--policy", "anqiu")


def test_policy_show_lists_the_map_or_one_regions_rules() -> None:
    shown = RUN.invoke(app, ["policy", "show", "shandong"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "370302" in shown.output and "zichuan (sample)" in shown.output
    one = RUN.invoke(app, ["policy", "show", "shandong", "--region", "370784"], terminal_width=200)
    assert one.exit_code == 0 and "anqiu:" in one.output and "auto-claim" in one.output
    listed = RUN.invoke(app, ["policy", "list"], terminal_width=200)
    assert "shandong" in listed.output


def test_catalogue_show_by_region_marks_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    zichuan = RUN.invoke(
        app,
        ["catalogue", "show", "--policy", "shandong", "--region", "370302", "--parties"],
        terminal_width=200,
    )
    assert zichuan.exit_code == 0, zichuan.output
    assert "zichuan-housing" in zichuan.output and "SAMPLE" in zichuan.output
    weihai = RUN.invoke(
        app, ["catalogue", "show", "--policy", "shandong", "--region", "371000"], terminal_width=200
    )
    assert "WH-A1-001" in weihai.output and "SAMPLE" not in weihai.output
    # with SGBUS_POLICY naming the map, --policy is not needed
    monkeypatch.setenv("SGBUS_POLICY", "shandong")
    from sgbus.bus.settings import get_settings

    get_settings.cache_clear()
    try:
        anqiu = RUN.invoke(app, ["catalogue", "show", "--region", "370784"], terminal_width=200)
        assert "SD-SAMPLE-006" in anqiu.output
        bad = RUN.invoke(app, ["catalogue", "show", "--region", "110000"])
        assert bad.exit_code == 2 and "not covered" in bad.output
    finally:
        get_settings.cache_clear()
