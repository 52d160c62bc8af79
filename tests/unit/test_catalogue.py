"""The 威海 example catalogue and operator catalogue files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from sgbus.bus.catalogue import (
    StepMode,
    UnknownMatter,
    UnknownParty,
    example_catalogue,
    load_catalogue,
    parse_catalogue_csv,
    parse_catalogue_yaml,
)
from sgbus.bus.catalogue.weihai_seed import SOURCE_TITLE, catalogue_data, parse_annexes
from sgbus.bus.parties import check_party_id
from sgbus.bus.yamldoc import SourceError
from tests.unit.seeds import ROOT, seed_text


def test_example_has_every_matter_of_the_four_annexes() -> None:
    cat = example_catalogue()
    assert Counter(m.mode for m in cat.matters) == {
        StepMode.ALONE: 43,
        StepMode.JOINT: 32,
        StepMode.ENTRUSTED: 21,
        StepMode.OPINION: 18,
    }
    assert cat.matter("WH-A1-001").name == "权限内企业投资项目核准"
    assert cat.matter("WH-A3-004").name == "取水许可"
    for party in cat.parties:
        check_party_id(party.id)
    assert cat.party("weihai-approval").name == "威海市行政审批服务局"
    assert cat.approval == "weihai-approval" and cat.oversight == "weihai-oversight"


def test_shipped_file_matches_the_seed() -> None:
    text = seed_text(SOURCE_TITLE)
    rows = parse_annexes(text)
    cat = example_catalogue()
    assert [r.code for r in rows] == [m.code for m in cat.matters]
    assert [r.name for r in rows] == [m.name for m in cat.matters]
    shipped = ROOT / "sgbus" / "bus" / "catalogue" / "data" / "weihai.yaml"
    assert yaml.safe_load(shipped.read_text(encoding="utf-8")) == catalogue_data(text, SOURCE_TITLE)


def test_empty_department_cells_continue_the_row_above() -> None:
    cat = example_catalogue()
    assert [p.id for p in cat.supervisors_of("WH-A1-006")] == ["weihai-drc"]
    assert [p.id for p in cat.supervisors_of("WH-A1-029")] == ["weihai-health"]
    assert [p.id for p in cat.supervisors_of("WH-A3-020")] == ["weihai-water"]


def test_supervisors_of_joint_and_regional_matters() -> None:
    cat = example_catalogue()
    assert [p.id for p in cat.supervisors_of("WH-A2-004")] == ["weihai-drc", "weihai-power-supply"]
    assert [p.id for p in cat.supervisors_of("WH-A2-031")] == [
        "weihai-agriculture",
        "weihai-ecology",
    ]
    assert len(cat.supervisors_of("WH-A4-010")) == 4
    local = cat.supervisors_of("WH-A4-011", region="371082")
    assert [p.id for p in local] == ["rongcheng-natural-resources"]
    assert cat.supervisors_of("WH-A1-001", region="371082")[0].id == "weihai-drc"
    assert {m.code for m in cat.matters_of("weihai-civil-defence")} >= {"WH-A1-036", "WH-A4-018"}


def test_unknown_matter_and_party_are_clear_errors() -> None:
    cat = example_catalogue()
    with pytest.raises(UnknownMatter, match=r"unknown matter 'WH-A1-044'.*did you mean"):
        cat.supervisors_of("WH-A1-044")
    with pytest.raises(UnknownParty, match=r"unknown party 'weihai-helth'.*weihai-health"):
        cat.party("weihai-helth")
    with pytest.raises(UnknownParty):
        cat.matters_of("nobody-here")


CSV = """\
code,name,mode,departments,department_names,region,per_region
XY-001,道路运输经营许可,joint,xy-transport,某市交通运输局,370100,
XY-002,取水许可,entrusted,xy-water;xy-ecology,某市水务局;某市生态环境局,370100,
XY-003,乡村建设规划许可,opinion,xy-transport,,370100,yes
"""


def test_operator_csv(tmp_path: Path) -> None:
    path = tmp_path / "my_city.csv"
    path.write_text("\ufeff" + CSV, encoding="utf-8")
    cat = load_catalogue(path)
    assert cat.name == "my-city"
    assert [p.id for p in cat.supervisors_of("XY-002")] == ["xy-water", "xy-ecology"]
    assert cat.party("xy-ecology").name == "某市生态环境局"
    assert cat.matter("XY-003").per_region


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("entrusted,xy-water", "solo,xy-water"), 3, "mode: Input should be 'alone'"),
        (("xy-water;xy-ecology", "xy-water;Xy_Eco"), 3, "departments: String should match"),
        (("XY-001,", "xy 1,"), 2, "code: String should match"),
        (("某市水务局;某市生态环境局", "某市水务局"), 3, "department_names has 1 entries"),
        (("370100,yes", "3701,yes"), 4, "region: String should match"),
        (("opinion,xy-transport,,", "opinion,xy-transport,别的名字,"), 4, "named '别的名字' here"),
        (("per_region\n", "per_region,colour\n"), 1, "unknown column(s): colour"),
        (("mode,departments,", "mode,depts,"), 1, "header lacks column(s): departments"),
    ],
)
def test_bad_csv_names_line_and_field(change: tuple[str, str], line: int, message: str) -> None:
    text = CSV.replace(*change)
    assert text != CSV
    with pytest.raises(SourceError) as caught:
        parse_catalogue_csv(text, "m.csv")
    assert caught.value.line == line, str(caught.value)
    assert message in str(caught.value)


def test_duplicate_codes_and_unknown_departments_in_yaml() -> None:
    base = """\
name: xy
title: 某市目录
region: "370100"
parties:
  - {id: xy-water, name: 某市水务局, region: "370100"}
matters:
  - {code: XY-001, name: 取水许可, mode: entrusted, departments: [xy-water]}
"""
    assert parse_catalogue_yaml(base).matter("XY-001").mode is StepMode.ENTRUSTED
    with pytest.raises(SourceError, match="department 'xy-wter' is not in parties"):
        parse_catalogue_yaml(base.replace("[xy-water]", "[xy-wter]"), "c.yaml")
    dup = base + "  - {code: XY-001, name: 另一个, mode: alone, departments: [xy-water]}\n"
    with pytest.raises(SourceError, match="matter code 'XY-001' appears more than once"):
        parse_catalogue_yaml(dup, "c.yaml")
    with pytest.raises(SourceError) as caught:
        parse_catalogue_yaml(base.replace("mode: entrusted", "mode: together"), "c.yaml")
    assert caught.value.line == 7 and "matters[0].mode" in str(caught.value)
