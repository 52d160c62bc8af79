"""The item page shows an approval result's material references, their addresses as links."""

from __future__ import annotations

from sgbus.bus.events import ApprovalResult
from sgbus.console.web.fields import FieldRow, rows_of
from tests.golden_data import golden_event


def _references(data: dict[str, object]) -> FieldRow:
    (row,) = [r for r in rows_of(ApprovalResult, data) if r.name == "material_references"]
    return row


def test_each_reference_is_a_group_whose_web_address_is_a_link() -> None:
    data = golden_event("ApprovalResult").model_dump(mode="json")
    row = _references(data)
    assert row.label.startswith("材料与电子证照") and len(row.children) == 3
    licence = {r.name: r for r in row.children[0]}
    assert licence["kind"].text == "电子证照"
    assert licence["url"].link == data["material_references"][0]["url"]
    assert licence["sha256"].link is None and licence["title"].link is None


def test_only_web_addresses_become_links() -> None:
    data = golden_event("ApprovalResult").model_dump(mode="json")
    data["material_references"][0]["url"] = "javascript:alert(1)"
    data["material_references"][1]["url"] = "http://10.1.2.3/sq.pdf"
    first, second, _ = _references(data).children
    assert {r.name: r for r in first}["url"].link is None
    assert {r.name: r for r in second}["url"].link == "http://10.1.2.3/sq.pdf"


def test_a_result_without_references_shows_a_dash() -> None:
    data = golden_event("ApprovalResult").model_dump(mode="json")
    data["material_references"] = []
    row = _references(data)
    assert row.text == "—" and row.children == []
