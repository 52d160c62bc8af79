"""Catalogue files for tests whose parties are made up per run.

The command line refuses a party its catalogue (``SGBUS_CATALOGUE``) does not list, so a test
that runs ``sgbus department run``, ``inbox`` or ``claim`` for a fresh party id points
``SGBUS_CATALOGUE`` at one of these.
"""

from __future__ import annotations

from pathlib import Path


def catalogue_with(folder: Path, *departments: str) -> Path:
    """A catalogue listing ``departments`` besides an approval bureau and an oversight office."""
    lines = [
        "name: test",
        "title: test catalogue",
        'region: "371000"',
        "approval: test-approval",
        "oversight: test-oversight",
        "parties:",
        '  - {id: test-approval, name: 行政审批服务局, region: "371000", kind: approval}',
        '  - {id: test-oversight, name: 监督机构, region: "371000", kind: oversight}',
        *(f'  - {{id: {d}, name: 测试部门 {d}, region: "371000"}}' for d in departments),
        "matters:",
        f"  - {{code: T-F-001, name: 测试事项, mode: alone, departments: [{departments[0]}]}}",
    ]
    path = folder / f"catalogue-{departments[0]}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
