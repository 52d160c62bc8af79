"""Build 威海's example catalogue from annexes 1–4 of its 2019 linkage rules.

The annex tables list matters with the department that handles (or used to handle) the technical
step; an empty department cell continues the one above (merged cells in the original). Matter
codes are ``WH-A<annex>-<row>``, so they stay stable as long as the annexes do.

Department → party id mapping (all 市 level, region 371000 unless noted). The mapping is the
contract: party ids become topic names, so change it only together with the topics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sgbus.bus.catalogue.model import Party, PartyKind, StepMode

REGION = "371000"

# Department as written in the annexes (spaces removed) → (party id, official name, region).
DEPARTMENTS: dict[str, tuple[str, str, str]] = {
    "市发展改革委": ("weihai-drc", "威海市发展和改革委员会", REGION),
    "市民政局": ("weihai-civil-affairs", "威海市民政局", REGION),
    "市司法局": ("weihai-justice", "威海市司法局", REGION),
    "市人力资源社会保障局": ("weihai-hrss", "威海市人力资源和社会保障局", REGION),
    "市住房城乡建设局": ("weihai-housing", "威海市住房和城乡建设局", REGION),
    "市交通运输局": ("weihai-transport", "威海市交通运输局", REGION),
    "市卫生健康委": ("weihai-health", "威海市卫生健康委员会", REGION),
    "市人防办": ("weihai-civil-defence", "威海市人民防空办公室", REGION),
    "市应急局": ("weihai-emergency", "威海市应急管理局", REGION),
    "市教育局": ("weihai-education", "威海市教育局", REGION),
    "市工业和信息化局": ("weihai-industry", "威海市工业和信息化局", REGION),
    "供电公司": ("weihai-power-supply", "国网威海供电公司", REGION),
    "市农业农村局": ("weihai-agriculture", "威海市农业农村局", REGION),
    "市商务局": ("weihai-commerce", "威海市商务局", REGION),
    "市文化和旅游局": ("weihai-culture-tourism", "威海市文化和旅游局", REGION),
    "市林业局": ("weihai-forestry", "威海市林业局", REGION),
    "市公路发展中心": ("weihai-highway", "威海市公路事业发展中心", REGION),
    "生态环境局": ("weihai-ecology", "威海市生态环境局", REGION),
    "市水务局": ("weihai-water", "威海市水务局", REGION),
    "市自然资源和规划局": ("weihai-natural-resources", "威海市自然资源和规划局", REGION),
}

# "各区市自然资源和规划局": each district's bureau supervises the matters of its own district.
DISTRICT_BUREAUS = "各区市自然资源和规划局"
DISTRICT_NATURAL_RESOURCES: list[tuple[str, str, str]] = [
    ("weihai-huancui-natural-resources", "威海市环翠区自然资源和规划局", "371002"),
    ("weihai-wendeng-natural-resources", "威海市文登区自然资源和规划局", "371003"),
    ("rongcheng-natural-resources", "荣成市自然资源和规划局", "371082"),
    ("rushan-natural-resources", "乳山市自然资源和规划局", "371083"),
]

FIXED_PARTIES = [
    Party(
        id="weihai-approval", name="威海市行政审批服务局", region=REGION, kind=PartyKind.APPROVAL
    ),
    Party(
        id="weihai-oversight",
        name="威海市审管联动监督机构",
        region=REGION,
        kind=PartyKind.OVERSIGHT,
        note="the rules name no office; the operator names the one that receives breach reports",
    ),
]

# Where the extracted table text is plainly misaligned, the correction and its reason.
CORRECTIONS: dict[tuple[int, int], tuple[tuple[str, ...], str]] = {
    (2, 20): (
        ("市文化和旅游局",),
        "the text shows 市林业局 on this row, one row above the forestry matters it heads;"
        " 建设工程文物保护许可 is a cultural-relics matter of 市文化和旅游局",
    ),
}

ANNEX_MODES = {1: StepMode.ALONE, 2: StepMode.JOINT, 3: StepMode.ENTRUSTED, 4: StepMode.OPINION}
_ANNEX_HEADING = re.compile(r"^附件\s*([1-4])\s*$")
_ROW = re.compile(r"^(\d+)\t([^\t]+)(?:\t(.*))?$")


@dataclass(frozen=True)
class AnnexRow:
    """One table row of an annex, with the department cell carried down."""

    annex: int
    number: int
    name: str
    departments: tuple[str, ...]

    @property
    def code(self) -> str:
        """Stable matter code, e.g. ``WH-A1-001``."""
        return f"WH-A{self.annex}-{self.number:03d}"


def parse_annexes(text: str) -> list[AnnexRow]:
    """All rows of 附件1–4 in document order; raises ``ValueError`` on a numbering gap."""
    rows: list[AnnexRow] = []
    annex = 0
    current: tuple[str, ...] = ()
    for line in text.splitlines():
        heading = _ANNEX_HEADING.match(line.strip())
        if heading:
            annex, current = int(heading.group(1)), ()
            continue
        match = _ROW.match(line.strip("\r"))
        if not annex or not match:
            continue
        cell = re.sub(r"\s+", "", match.group(3) or "")
        if cell:
            current = tuple(part for part in cell.split("、") if part)
        number = int(match.group(1))
        expected = 1 + sum(1 for r in rows if r.annex == annex)
        if number != expected:
            raise ValueError(f"附件{annex}: row {number} where row {expected} was expected")
        depts = CORRECTIONS[(annex, number)][0] if (annex, number) in CORRECTIONS else current
        rows.append(AnnexRow(annex, number, match.group(2).strip(), depts))
    return rows


def key(row: AnnexRow) -> tuple[int, int]:
    """Annex and row number of ``row``."""
    return (row.annex, row.number)


def department_parties(names: tuple[str, ...]) -> list[Party]:
    """Parties for the department names of one row; an unmapped name raises ``KeyError``."""
    out: list[Party] = []
    for name in names:
        if name == DISTRICT_BUREAUS:
            out.extend(Party(id=i, name=n, region=r) for i, n, r in DISTRICT_NATURAL_RESOURCES)
            continue
        if name not in DEPARTMENTS:
            raise KeyError(f"department {name!r} has no party id in DEPARTMENTS")
        party_id, full, region = DEPARTMENTS[name]
        kind = PartyKind.UTILITY if name == "供电公司" else PartyKind.DEPARTMENT
        out.append(Party(id=party_id, name=full, region=region, kind=kind))
    return out


#: How the catalogue cites its seed document: by title, never by a file name.
SOURCE_TITLE = "《威海市行政审批与监管协调联动工作机制》"


def catalogue_data(text: str, source: str = SOURCE_TITLE) -> dict[str, object]:
    """The catalogue as plain data, ready to be written as YAML or validated."""
    parties: dict[str, Party] = {p.id: p for p in FIXED_PARTIES}
    matters = []
    for row in parse_annexes(text):
        depts = department_parties(row.departments)
        parties.update((p.id, p) for p in depts)
        matter: dict[str, object] = {
            "code": row.code,
            "name": row.name,
            "mode": ANNEX_MODES[row.annex].value,
            "departments": [p.id for p in depts],
            "source": f"{source}附件{row.annex} 序号{row.number}",
        }
        if DISTRICT_BUREAUS in row.departments:
            matter["per_region"] = True
        if (row.annex, row.number) in CORRECTIONS:
            matter["source"] = f"{matter['source']} (corrected: {CORRECTIONS[key(row)][1]})"
        matters.append(matter)
    return {
        "name": "weihai",
        "title": "威海市行政审批与监管协调联动工作机制 附件1–4 事项目录",
        "region": REGION,
        "approval": "weihai-approval",
        "oversight": "weihai-oversight",
        "source": source,
        "parties": [p.model_dump(exclude_none=True, mode="json") for p in parties.values()],
        "matters": matters,
    }
