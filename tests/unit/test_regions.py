"""Policy maps: which entry covers a region code, loading maps, and the shipped 山东 map."""

from __future__ import annotations

from pathlib import Path

import pytest

from sgbus.bus.catalogue import shipped_catalogue
from sgbus.bus.policy import load_preset
from sgbus.bus.regions import (
    RegionsConfigError,
    candidates,
    covering,
    is_policy_map,
    load_regions,
    parse_policy_map,
    scope_prefix,
)
from sgbus.bus.regions.codes import level_of
from sgbus.bus.yamldoc import SourceError

KEYS = {"371000", "370302", "370000"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("370302", "370302"),  # the county itself
        ("371002", "371000"),  # a district of 威海 → its city
        ("371000", "371000"),  # the city itself
        ("370784", "370000"),  # no entry for 安丘 or 潍坊 → the province
        ("370300", "370000"),  # 淄博 itself: 淄川's entry does not cover its city
        ("440300", None),  # another province
        ("37030", None),  # not a code
        ("３７１０００", None),  # full-width digits are not a code
    ],
)
def test_the_most_specific_entry_covers_a_code(code: str, expected: str | None) -> None:
    assert covering(code, KEYS) == expected


def test_candidates_are_county_city_province_without_repeats() -> None:
    assert candidates("370302") == ("370302", "370300", "370000")
    assert candidates("371000") == ("371000", "370000")
    assert candidates("370000") == ("370000",)
    assert candidates("x") == ()


@pytest.mark.parametrize(
    ("code", "prefix", "level"),
    [("370000", "37", "province"), ("371000", "3710", "city"), ("370302", "370302", "county")],
)
def test_scope_of_a_code(code: str, prefix: str, level: str) -> None:
    assert scope_prefix(code) == prefix and level_of(code) == level


def test_shandong_map_gives_each_city_its_preset_and_catalogue() -> None:
    regions = load_regions("shandong")
    got = {
        code: (j.policy.name, j.catalogue.name)
        for code in ("371000", "371082", "370302", "370784")
        if (j := regions.resolve(code)) is not None
    }
    assert got == {
        "371000": ("weihai", "weihai"),
        "371082": ("weihai", "weihai"),  # 荣成, a county-level city of 威海
        "370302": ("zichuan", "zichuan"),
        "370784": ("anqiu", "anqiu"),
    }
    assert regions.resolve("370300") is None and regions.resolve("110000") is None
    assert regions.resolve("371000").policy == load_preset("weihai")  # type: ignore[union-attr]


def test_shandong_catalogues_real_and_samples() -> None:
    assert not shipped_catalogue("weihai").sample
    for city in ("zichuan", "anqiu"):
        cat = shipped_catalogue(city)
        assert cat.sample and "SAMPLE" in cat.title
        # party ids carry their city
        assert all(p.id.startswith(f"{city}-") for p in cat.parties)
    regions = load_regions("shandong")
    parties = regions.catalogue.parties_by_id
    assert {"weihai-approval", "zichuan-approval", "anqiu-approval"} <= set(parties)
    assert regions.catalogue.sample  # a combined catalogue with a sample in it says so


def test_a_single_policy_is_a_map_with_one_default_entry() -> None:
    regions = load_regions("anqiu")
    assert not regions.is_map and len(regions.jurisdictions) == 1
    for code in ("371000", "440300", "000000"):
        j = regions.resolve(code)
        assert j is not None and j.region is None and j.policy.name == "anqiu"
    assert regions.catalogue.name == "weihai"  # the example catalogue, as before maps


def write_map(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(body, encoding="utf-8")
    return path


MAP = """
name: test-map
title: 测试
regions:
  - {region: "370302", name: 淄川区, policy: zichuan, catalogue: zichuan}
  - {region: "370000", name: 山东省其他, policy: ./p.yaml, catalogue: anqiu}
"""


def test_a_map_file_with_relative_paths_and_a_province_entry(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        Path("sgbus/bus/policy/presets/anqiu.yaml")
        .read_text(encoding="utf-8")
        .replace("name: anqiu", "name: province"),
        encoding="utf-8",
    )
    path = write_map(tmp_path, MAP)
    assert is_policy_map(str(path)) and not is_policy_map("anqiu")
    regions = load_regions(str(path))
    assert regions.resolve("370302").policy.name == "zichuan"  # type: ignore[union-attr]
    assert regions.resolve("370784").policy.name == "province"  # type: ignore[union-attr]
    assert regions.resolve("371000").policy.name == "province"  # type: ignore[union-attr]
    with pytest.raises(RegionsConfigError, match="SGBUS_CATALOGUE"):
        load_regions(str(path), Path("x.yaml"))


def test_bad_maps_are_refused_with_their_line() -> None:
    with pytest.raises(SourceError, match="more than one entry"):
        parse_policy_map(
            "name: mm\ntitle: t\nregions:\n"
            "  - {region: '371000', name: a, policy: weihai, catalogue: weihai}\n"
            "  - {region: '371000', name: b, policy: anqiu, catalogue: weihai}\n"
        )
    with pytest.raises(SourceError, match=r"(?s):4:.*regions\[0\]\.region"):
        parse_policy_map(
            "name: mm\ntitle: t\nregions:\n"
            "  - {region: '3710', name: a, policy: weihai, catalogue: weihai}\n"
        )
    with pytest.raises(SourceError, match="at least one region"):
        parse_policy_map("name: mm\ntitle: t\n")


def test_one_party_id_described_two_ways_is_refused(tmp_path: Path) -> None:
    other = Path("sgbus/bus/catalogue/data/anqiu.yaml").read_text(encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        other.replace("安丘市行政审批服务局", "另一个名称"), encoding="utf-8"
    )
    path = write_map(
        tmp_path,
        "name: mm\ntitle: t\nregions:\n"
        "  - {region: '370784', name: a, policy: anqiu, catalogue: anqiu}\n"
        "  - {region: '370700', name: b, policy: anqiu, catalogue: c.yaml}\n",
    )
    with pytest.raises(RegionsConfigError, match="anqiu-approval"):
        load_regions(str(path))
